"""Reasoning and usage from an OpenAI-compatible upstream (PROTOCOL.md section 8).

The loopback fake streams reasoning as `delta.reasoning_content`, `delta.reasoning` or inline
`<think>` tags; the responder, the real app (stored parts, events, stats) and `/v1` (with the
official `openai` package) are checked against it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from backend.app import create_app
from backend.config import Settings
from backend.openai.upstream import OpenAICompatResponder
from backend.reasoning import ReplySplitter
from backend.records import Part, merged
from backend.responders import ChatMessage, Chunk, Usage
from tests.support.app_support import KEY, App, app_for, events
from tests.support.fake_openai import DEADLINE, Upstream, serving

THOUGHT = "Let me think."  # the fake's reasoning: "Let me ", "think", "."
ANSWER = "Hello, world!"  # its reply: "Hel", "lo", ", wor", "ld!"
REASONING_MODELS = ["reasoning-content", "reasoning-field", "think-inline"]


async def chunks_of(responder: OpenAICompatResponder) -> list[Chunk]:
    return [c async for c in responder.stream([ChatMessage("user", "Hi")])]


def run_stream(responder: OpenAICompatResponder) -> list[Chunk]:
    return asyncio.run(asyncio.wait_for(chunks_of(responder), DEADLINE))


def split(chunks: list[Chunk]) -> tuple[Part, ...]:
    splitter = ReplySplitter()
    parts = [p for c in chunks for p in splitter.feed(c)] + splitter.end()
    return merged(parts)


def responder(upstream: Upstream, model: str) -> OpenAICompatResponder:
    return OpenAICompatResponder(upstream.base_url, KEY, model)


# --- the responder --------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["reasoning-content", "reasoning-field"])
def test_reasoning_fields_come_apart_from_the_text(upstream: Upstream, model: str) -> None:
    chunks = run_stream(responder(upstream, model))
    assert [c for c in chunks if isinstance(c, Part)] == [
        Part("reasoning", piece) for piece in upstream.fake.reasoning
    ]
    assert "".join(c for c in chunks if isinstance(c, str)) == ANSWER
    assert chunks[-1] == Usage(3, 4)
    assert upstream.fake.last.body["stream_options"] == {"include_usage": True}


def test_inline_think_tags_split_across_chunks(upstream: Upstream) -> None:
    chunks = run_stream(responder(upstream, "think-inline"))
    texts = [c for c in chunks if isinstance(c, str)]
    assert any(t.startswith("<th") and not t.startswith("<think>") for t in texts)  # split tag
    assert split(chunks) == (Part("reasoning", THOUGHT), Part("text", ANSWER))


def test_a_server_rejecting_stream_options_is_asked_again_without_and_remembered(
    upstream: Upstream,
) -> None:
    first = run_stream(responder(upstream, "no-stream-options"))
    assert "".join(c for c in first if isinstance(c, str)) == ANSWER
    sent = [r.body for r in upstream.fake.requests]
    assert ["stream_options" in body for body in sent] == [True, False]

    again = run_stream(responder(upstream, "no-stream-options"))  # a new responder, same URL
    assert "".join(c for c in again if isinstance(c, str)) == ANSWER
    assert len(upstream.fake.requests) == 3 and "stream_options" not in upstream.fake.last.body


def test_a_server_that_ignores_stream_options_still_works(upstream: Upstream) -> None:
    chunks = run_stream(responder(upstream, "ollama-style"))  # sends no usage chunk
    assert "".join(c for c in chunks if isinstance(c, str)) == ANSWER
    assert not any(isinstance(c, Usage) for c in chunks)


def test_llamacpp_usage_on_its_final_chunk(upstream: Upstream) -> None:
    assert run_stream(responder(upstream, "llamacpp-style"))[-1] == Usage(3, 4)


# --- the app: stored parts, events, stats, history ---------------------------------------


@pytest.mark.parametrize("model", REASONING_MODELS)
def test_a_reply_keeps_its_reasoning_apart_with_its_stats(
    tmp_path: Path, upstream: Upstream, model: str
) -> None:
    with app_for(tmp_path, upstream, model, auto_title=False) as app, app.http() as http:
        cid = http.post("/api/conversations", json={}).json()["id"]
        app.turn(http, cid, "Hi")
        reply = app.finished(http, cid)[-1]
        assert reply["status"] == "complete"
        assert (reply["reasoning"], reply["content"]) == (THOUGHT, ANSWER)
        assert reply["parts"] == [
            {"type": "reasoning", "text": THOUGHT},
            {"type": "text", "text": ANSWER},
        ]
        stats = reply["stats"]
        assert (stats["prompt_tokens"], stats["completion_tokens"]) == (3, 4)
        assert isinstance(stats["first_token_ms"], int) and isinstance(stats["duration_ms"], int)
        assert 0 <= stats["first_token_ms"] <= stats["duration_ms"]

        stream = events(http, reply["id"])
        assert [(e, i, d.get("text")) for e, i, d in stream[:-1]] == [
            ("reasoning", str(len(THOUGHT)), THOUGHT),
            ("delta", str(len(THOUGHT + ANSWER)), ANSWER),
        ]
        assert stream[-1][:2] == ("end", str(len(THOUGHT + ANSWER)))
        assert stream[-1][2]["message"] == reply


def test_reasoning_is_never_sent_back_to_the_model(tmp_path: Path, upstream: Upstream) -> None:
    model = "reasoning-content"
    with app_for(tmp_path, upstream, model, auto_title=False) as app, app.http() as http:
        cid = http.post("/api/conversations", json={}).json()["id"]
        app.turn(http, cid, "Hi")
        app.finished(http, cid)
        app.turn(http, cid, "And then?")
        app.finished(http, cid)
    assert upstream.fake.last.body["messages"] == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": ANSWER},
        {"role": "user", "content": "And then?"},
    ]


# --- /v1 passes reasoning on ---------------------------------------------------------------


def v1(app: App) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{app.server.url}/v1",
        api_key=app.settings.token,
        max_retries=0,
        timeout=DEADLINE,
    )


def reasoning_of(delta_or_message: Any) -> str:
    return str((delta_or_message.model_extra or {}).get("reasoning_content") or "")


@pytest.mark.parametrize("model", REASONING_MODELS)
def test_v1_passes_reasoning_on(tmp_path: Path, upstream: Upstream, model: str) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]
    with app_for(tmp_path, upstream, model) as app:
        api = v1(app).chat.completions
        chunks = [c for c in api.create(model=model, messages=messages, stream=True) if c.choices]
        assert "".join(reasoning_of(c.choices[0].delta) for c in chunks) == THOUGHT
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER
        first_reasoning = next(i for i, c in enumerate(chunks) if reasoning_of(c.choices[0].delta))
        first_text = next(i for i, c in enumerate(chunks) if c.choices[0].delta.content)
        assert first_reasoning < first_text

        whole = api.create(model=model, messages=messages)
        message = whole.choices[0].message
        assert (reasoning_of(message), message.content) == (THOUGHT, ANSWER)
        assert whole.usage is not None and whole.usage.completion_tokens == 4  # the upstream's


def test_v1_takes_reasoning_out_of_an_echoed_think_tag(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", echo_delay=0)
    with serving(create_app(settings), lifespan="on") as server:
        app = App(server, settings, upstream=None)  # type: ignore[arg-type]
        messages: list[ChatCompletionMessageParam] = [
            {"role": "user", "content": "<think>plan</think>Answer"}
        ]
        api = v1(app).chat.completions
        chunks = [c for c in api.create(model="echo", messages=messages, stream=True) if c.choices]
        assert "".join(reasoning_of(c.choices[0].delta) for c in chunks) == "plan"
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Answer"
        message = api.create(model="echo", messages=messages).choices[0].message
        assert (reasoning_of(message), message.content) == ("plan", "Answer")
        plain = api.create(model="echo", messages=[{"role": "user", "content": "Hi"}])
        assert "reasoning_content" not in (plain.choices[0].message.model_extra or {})
