"""Replies from an OpenAI-compatible upstream chosen over the API, and what records them."""

from __future__ import annotations

import openai

from backend.embedded import EmbeddedServer
from tests.support.fake_openai import DEADLINE, Upstream, closed_port
from tests.support.provider_helpers import KEY, Api, openai_settings

UPSTREAM_TEXT = "Hello, world!"  # what the fake upstream streams by default


def test_replies_come_from_the_upstream_and_record_it(api: Api, upstream: Upstream) -> None:
    cid = api.conversation()
    echoed = api.turn(cid, "ping")
    assert (echoed.text, echoed.message["provider"], echoed.message["model"]) == (
        "ping",
        "echo",
        "echo",
    )

    api.put_settings(**openai_settings(upstream))
    reply = api.turn(cid, "hi")
    assert reply.outcome == "end" and reply.text == UPSTREAM_TEXT
    assert reply.message["status"] == "complete" and reply.message["content"] == UPSTREAM_TEXT
    assert (reply.message["provider"], reply.message["model"]) == ("openai-compatible", "llama3.2")
    assert upstream.fake.last.headers["authorization"] == f"Bearer {KEY}"

    stored = api.messages(cid)
    assert [(m["role"], m["provider"], m["model"]) for m in stored] == [
        ("user", None, None),
        ("assistant", "echo", "echo"),
        ("user", None, None),
        ("assistant", "openai-compatible", "llama3.2"),
    ]


def test_history_and_system_prompt_arrive_upstream_in_order(api: Api, upstream: Upstream) -> None:
    api.put_settings(**openai_settings(upstream))
    cid = api.conversation()
    assert api.turn(cid, "first question").text == UPSTREAM_TEXT
    assert api.turn(cid, "second question").text == UPSTREAM_TEXT
    body = upstream.fake.last.body
    assert body["model"] == "llama3.2" and body["stream"] is True
    assert body["temperature"] == 0.7
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": UPSTREAM_TEXT},
        {"role": "user", "content": "second question"},
    ]


def test_upstream_failures_fail_the_reply_with_a_readable_detail(
    api: Api, upstream: Upstream
) -> None:
    cid = api.conversation()

    api.put_settings(**openai_settings(upstream, api_key="sk-wrong"))
    rejected = api.turn(cid, "hi")
    assert rejected.outcome == "error" and rejected.message["status"] == "failed"
    assert "rejected the API key (401 Unauthorized)" in rejected.data["detail"]
    assert "sk-wrong" not in rejected.data["detail"]

    api.put_settings(**openai_settings(upstream, model="error-chunk"))
    partial = api.turn(cid, "again")
    assert partial.outcome == "error" and partial.text == "Hello"
    assert partial.message["status"] == "failed" and partial.message["content"] == "Hello"
    assert "context length exceeded" in partial.data["detail"]
    assert partial.message["model"] == "error-chunk"

    gone = f"http://127.0.0.1:{closed_port()}/v1"
    api.put_settings(**openai_settings(upstream, base_url=gone))
    refused = api.turn(cid, "once more")
    assert refused.outcome == "error" and "connection refused" in refused.data["detail"]

    stored = [m for m in api.messages(cid) if m["role"] == "assistant"]
    assert [(m["status"], m["content"]) for m in stored] == [
        ("failed", ""),
        ("failed", "Hello"),
        ("failed", ""),
    ]
    # The stored message keeps the reason (the `error` extension of docs/API-EXTENSIONS.md).
    assert "context length exceeded" in (stored[1]["error"] or "")
    assert "connection refused" in (stored[2]["error"] or "")
    # A late subscriber gets the same `error` (from the store).
    late = api.follow(stored[1]["id"])
    assert late.outcome == "error" and "context length exceeded" in late.data["detail"]


def test_a_streaming_reply_keeps_its_provider(api: Api, upstream: Upstream) -> None:
    api.put_settings(**openai_settings(upstream, model="stall-mid"))
    first = api.conversation()
    stalled = api.send(first, "slow one")["reply"]
    assert upstream.fake.streaming.wait(DEADLINE), "the upstream was never asked"

    api.put_settings(provider="echo", echo_delay=0)
    second = api.conversation()
    echoed = api.turn(second, "fast one")
    assert (echoed.text, echoed.message["provider"]) == ("fast one", "echo")

    upstream.fake.release.set()
    finished = api.follow(stalled["id"])
    assert finished.outcome == "end" and finished.text == UPSTREAM_TEXT
    assert (finished.message["provider"], finished.message["model"]) == (
        "openai-compatible",
        "stall-mid",
    )


def test_v1_routes_follow_a_provider_change(
    api: Api, server: EmbeddedServer, upstream: Upstream
) -> None:
    client = openai.OpenAI(
        base_url=f"{server.base_url}/v1", api_key=server.token, max_retries=0, timeout=DEADLINE
    )
    assert [m.id for m in client.models.list()] == ["echo"]

    api.put_settings(**openai_settings(upstream))
    assert [m.id for m in client.models.list()] == ["llama3.2"]
    stream = client.chat.completions.create(
        model="llama3.2", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream) == UPSTREAM_TEXT
    assert upstream.fake.last.body["messages"][-1] == {"role": "user", "content": "hi"}

    api.put_settings(provider="echo", echo_delay=0)
    answer = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "back to echo"}]
    )
    assert answer.choices[0].message.content == "back to echo"


def test_regenerate_and_edit_use_the_provider_current_at_that_moment(
    api: Api, upstream: Upstream
) -> None:
    cid = api.conversation()
    echoed = api.turn(cid, "question")
    assert echoed.message["provider"] == "echo"

    api.put_settings(**openai_settings(upstream, model="qwen2.5:7b"))
    regenerated = api.post(f"/api/messages/{echoed.message['id']}/regenerate")
    assert regenerated.status_code == 202, regenerated.text
    assert regenerated.json()["reply"]["model"] == "qwen2.5:7b"  # known from the 202 on
    reply = api.follow(regenerated.json()["reply"]["id"])
    assert (reply.text, reply.message["provider"]) == (UPSTREAM_TEXT, "openai-compatible")

    api.put_settings(provider="echo", echo_delay=0)
    user_id = regenerated.json()["message"]["id"]
    edited = api.request("PATCH", f"/api/messages/{user_id}", json={"content": "edited"})
    assert edited.status_code == 202, edited.text
    again = api.follow(edited.json()["reply"]["id"])
    assert (again.text, again.message["provider"], again.message["model"]) == (
        "edited",
        "echo",
        "echo",
    )
