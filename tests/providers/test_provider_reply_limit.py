"""Replies and upstream answers have a size limit (issue 11, item 4).

An upstream that never stops (a looping model: Ollama and llama.cpp generate without limit
by default) made a 400 MB reply in ~10 s. Now a reply ends `complete` at `max_reply_chars`
with a visible note, the upstream connection is closed, `max_tokens` goes upstream when
configured, and what is read of any upstream answer (model lists, error bodies, one event)
is capped, so an endless answer cannot hang a check or fill the memory.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.turns import cut_note
from tests.support.fake_openai import DEADLINE, serving
from tests.support.provider_helpers import Api, openai_settings
from tests.support.waiting import wait_until

LIMIT = 5_000


class Endless:
    """An upstream whose answers never end (each in its own way), recording what it got."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.closed = threading.Event()  # a client went away mid-answer
        self.sent = 0

    def _forever(self, piece: str) -> StreamingResponse:
        async def body() -> AsyncIterator[str]:
            try:
                while True:
                    self.sent += 1
                    yield piece
                    await asyncio.sleep(0)
            finally:
                self.closed.set()

        return StreamingResponse(body(), media_type="text/event-stream")

    async def chat(self, request: Request) -> Response:
        body = await request.json()
        self.bodies.append(body)
        model = body["model"]
        if model == "one-endless-event":  # one `data:` line that never ends
            return self._forever("x" * 65536)
        if model == "silent-events":  # events forever, never any text
            empty = {"choices": [{"index": 0, "delta": {}, "finish_reason": None}]}
            return self._forever(f"data: {json.dumps(empty)}\n\n" * 1000)
        chunk = {"choices": [{"index": 0, "delta": {"content": "loop "}, "finish_reason": None}]}
        return self._forever(f"data: {json.dumps(chunk)}\n\n")

    async def models(self, request: Request) -> Response:
        if request.query_params.get("fail") or "fail" in request.url.path:
            return JSONResponse({"error": {"message": "x"}}, status_code=500)
        return self._forever('{"object": "list", "data": [' + '{"id": "m"},' * 1000)

    async def failing_models(self, request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"E" * 65536
                    await asyncio.sleep(0)
            finally:
                self.closed.set()

        return StreamingResponse(body(), status_code=500, media_type="text/plain")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/bad/v1/models", self.failing_models, methods=["GET"]),
            ]
        )


class Running:
    def __init__(self, fake: Endless, url: str) -> None:
        self.fake = fake
        self.base_url = f"{url}/v1"
        self.bad_url = f"{url}/bad/v1"


@pytest.fixture
def endless() -> Iterator[Running]:
    fake = Endless()
    with serving(fake.app()) as server:
        yield Running(fake, server.url)


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(
        data_dir=tmp_path / "data", echo_delay=0, max_reply_chars=LIMIT, max_tokens=1234
    )
    with EmbeddedServer(settings) as server:
        yield Api(server.base_url, server.token)


def test_a_never_ending_upstream_is_cut_at_the_limit(limited: Api, endless: Running) -> None:
    limited.put_settings(**openai_settings(endless, model="loop"))
    cid = limited.conversation()
    reply = limited.turn(cid, "go on forever")
    note = cut_note(LIMIT)
    assert reply.outcome == "end" and reply.message["status"] == "complete"
    assert reply.text == reply.message["content"]
    assert len(reply.text) == LIMIT + len(note) and reply.text.endswith(note)
    assert reply.text[:LIMIT] == ("loop " * LIMIT)[:LIMIT]
    stored = limited.messages(cid)[-1]
    assert (stored["status"], stored["content"]) == ("complete", reply.text)
    closed = wait_until(endless.fake.closed.is_set, timeout=DEADLINE)
    assert closed, "the upstream connection was left open"
    turn = next(b for b in endless.fake.bodies if b.get("stream"))  # not the title request
    assert turn["max_tokens"] == 1234  # configured: sent upstream


def test_the_echo_responder_is_cut_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", echo_delay=0, max_reply_chars=10)
    with EmbeddedServer(settings) as server:
        api = Api(server.base_url, server.token)
        reply = api.turn(api.conversation(), "0123456789abcdef")
    assert reply.message["status"] == "complete"
    assert reply.message["content"] == "0123456789" + cut_note(10)
    ok = Settings(data_dir=tmp_path / "other", echo_delay=0, max_reply_chars=16)
    with EmbeddedServer(ok) as server:  # exactly at the limit: nothing cut, no note
        api = Api(server.base_url, server.token)
        assert api.turn(api.conversation(), "0123456789abcdef").text == "0123456789abcdef"


@pytest.mark.parametrize("model", ["one-endless-event", "silent-events"])
def test_an_endless_answer_without_text_fails_the_reply(
    limited: Api, endless: Running, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One event that never ends (4 MiB cap), or events that never carry text (16 MiB);
    the caps are lowered here so the test is quick (the server runs in this process)."""
    monkeypatch.setattr("backend.openai.reading.MAX_EVENT_BYTES", 256 * 1024)
    monkeypatch.setattr("backend.openai.upstream.MAX_SILENT_BYTES", 1 << 20)
    limited.put_settings(**openai_settings(endless, model=model))
    reply = limited.turn(limited.conversation(), "hi")
    assert reply.outcome == "error" and reply.message["status"] == "failed"
    expected = "over 256 KiB" if model == "one-endless-event" else "1 MiB of stream without"
    assert expected in reply.data["detail"], reply.data["detail"]
    assert wait_until(endless.fake.closed.is_set, timeout=DEADLINE)


def test_model_lists_and_error_bodies_are_read_up_to_a_cap(limited: Api, endless: Running) -> None:
    for url in (endless.base_url, endless.bad_url):
        check = limited.post(
            "/api/provider/check",
            json={"provider": "openai", "base_url": url},
            timeout=DEADLINE,
        )
        assert check.status_code == 200 and check.json()["ok"] is False
        assert "MiB" in check.json()["detail"] or "500" in check.json()["detail"]
    limited.put_settings(**openai_settings(endless))
    listed = limited.get("/api/provider/models", timeout=DEADLINE)
    assert listed.status_code == 502 and "MiB" in listed.json()["detail"]


@pytest.mark.parametrize("stream", [False, True])
def test_v1_completions_are_cut_at_the_limit_too(
    limited: Api, endless: Running, stream: bool
) -> None:
    limited.put_settings(**openai_settings(endless, model="loop"))
    body = {"model": "loop", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    answer = limited.post("/v1/chat/completions", json=body, timeout=DEADLINE)
    assert answer.status_code == 200
    if stream:
        chunks = [
            json.loads(line[6:]) for line in answer.text.splitlines() if line.startswith("data: {")
        ]
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
        finish = chunks[-1]["choices"][0]["finish_reason"]
    else:
        choice = answer.json()["choices"][0]
        text, finish = choice["message"]["content"], choice["finish_reason"]
    assert (len(text), finish) == (LIMIT, "length")
    assert wait_until(endless.fake.closed.is_set, timeout=DEADLINE)
