"""A conversation's own model and system prompt (PROTOCOL.md section 11) reach the upstream."""

from __future__ import annotations

from pathlib import Path

from tests.support.app_support import app_for
from tests.support.fake_openai import DEADLINE, Upstream
from tests.support.waiting import wait_until

CONFIGURED_PROMPT = "Be a pirate."


def test_the_upstream_gets_the_conversations_model_and_system_prompt(
    tmp_path: Path, upstream: Upstream
) -> None:
    with (
        app_for(tmp_path, upstream, "llama3.2", system_prompt=CONFIGURED_PROMPT) as app,
        app.http() as http,
    ):
        cid = http.post("/api/conversations", json={}).json()["id"]

        def turn(content: str) -> dict[str, object]:
            reply = app.turn(http, cid, content)
            app.finished(http, cid)
            return reply

        assert turn("one")["model"] == "llama3.2"
        assert upstream.fake.last.body["model"] == "llama3.2"
        assert upstream.fake.last.body["messages"][0] == {
            "role": "system",
            "content": CONFIGURED_PROMPT,
        }

        patched = http.patch(
            f"/api/conversations/{cid}", json={"model": "qwen2.5:7b", "system_prompt": "Be terse."}
        )
        assert patched.status_code == 200, patched.text
        assert turn("two")["model"] == "qwen2.5:7b"
        sent = upstream.fake.last.body
        assert sent["model"] == "qwen2.5:7b"
        assert sent["messages"][0] == {"role": "system", "content": "Be terse."}
        assert [m["role"] for m in sent["messages"]].count("system") == 1

        http.patch(f"/api/conversations/{cid}", json={"system_prompt": ""})  # none at all
        turn("three")
        assert upstream.fake.last.body["model"] == "qwen2.5:7b"
        assert all(m["role"] != "system" for m in upstream.fake.last.body["messages"])

        http.patch(f"/api/conversations/{cid}", json={"model": None, "system_prompt": None})
        assert turn("four")["model"] == "llama3.2"
        assert upstream.fake.last.body["messages"][0]["content"] == CONFIGURED_PROMPT

        messages = http.get(f"/api/conversations/{cid}").json()["messages"]
        replies = [m["model"] for m in messages if m["role"] == "assistant"]
        assert replies == ["llama3.2", "qwen2.5:7b", "qwen2.5:7b", "llama3.2"]


def test_the_title_is_asked_of_the_conversations_model(tmp_path: Path, upstream: Upstream) -> None:
    with app_for(tmp_path, upstream, "llama3.2") as app, app.http() as http:
        cid = http.post("/api/conversations", json={"model": "qwen2.5:7b"}).json()["id"]
        app.turn(http, cid, "Hi")
        app.finished(http, cid)
        assert wait_until(lambda: len(upstream.fake.completions) == 1, timeout=DEADLINE)
    assert upstream.fake.completions[0].body["model"] == "qwen2.5:7b"
