"""Loopback servers for the tests: uvicorn on a thread, and a fake OpenAI-compatible upstream.

The fake speaks OpenAI's documented streaming format (`data: <chat.completion.chunk>`
events, then `data: [DONE]`). The requested `model` picks its behaviour, so each test
just names the fault it wants (see `FakeUpstream._chat`). Each piece of its reply counts
as one token: a request's `max_tokens` keeps that many and ends with `finish_reason: length`.

Reasoning comes as `delta.reasoning_content` (model `reasoning-content`), `delta.reasoning`
(`reasoning-field`) or inline `<think>` tags split across chunks (`think-inline`); a usage
chunk follows when `stream_options.include_usage` asks for it, and model `no-stream-options`
is a server that rejects that field with a 400. A request with `stream: false` (a title) is
answered `title` as one `chat.completion` and recorded in `completions`, not `requests`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.support.waiting import wait_until

DEADLINE = 10.0  # seconds any wait in these tests may take before it is a failure


class LoopbackServer:
    """uvicorn serving `app` on 127.0.0.1 and a free port, on a daemon thread."""

    def __init__(self, app: ASGIApp, lifespan: str = "off") -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan=lifespan,  # type: ignore[arg-type]
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="loopback-uvicorn", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        self.thread.start()
        wait_until(
            lambda: self.server.started or not self.thread.is_alive(),
            timeout=DEADLINE,
            what="uvicorn to start",
        )
        if not self.server.started:
            raise RuntimeError("uvicorn failed to start")
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), "uvicorn did not stop in time"


@contextmanager
def serving(app: ASGIApp, lifespan: str = "off") -> Iterator[LoopbackServer]:
    server = LoopbackServer(app, lifespan).start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port nobody listens on (connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def unanswered_port() -> Iterator[int]:
    """A loopback port whose listen backlog is full, so new connects hang (connect timeout).

    The listener never accepts; once its backlog (0) holds one pending connection, Linux
    drops further SYNs and a client's connect() waits until its own timeout.
    """
    listener = socket.socket()
    held: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        for _ in range(64):
            probe = socket.socket()
            probe.setblocking(False)
            probe.connect_ex(("127.0.0.1", port))
            held.append(probe)
            with socket.socket() as test:
                test.settimeout(0.2)
                if test.connect_ex(("127.0.0.1", port)) != 0:
                    break
        yield port
    finally:
        for sock in held:
            sock.close()
        listener.close()


# --- the fake upstream --------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeUpstream:
    """State and behaviour of the fake OpenAI-compatible server."""

    api_key: str | None = "sk-test-key"  # None: accept any or no key
    reply: list[str] = field(default_factory=lambda: ["Hel", "lo", ", wor", "ld!"])
    models: list[str] = field(default_factory=lambda: ["llama3.2", "qwen2.5:7b"])
    requests: list[Recorded] = field(default_factory=list)
    streaming: threading.Event = field(default_factory=threading.Event)  # a body has begun
    disconnected: threading.Event = field(default_factory=threading.Event)
    streamed_chunks: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    reasoning: list[str] = field(default_factory=lambda: ["Let me ", "think", "."])
    title: str = "Greeting the world"
    title_gate: threading.Event | None = None  # set: a title request waits for it
    title_fails: bool = False  # a title request gets a 500
    completions: list[Recorded] = field(default_factory=list)  # the `stream: false` ones
    chunk_pause: float = 0.0  # seconds between the content chunks of the default shape

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/old/v1/chat/completions", self._moved, methods=["POST"]),
            ]
        )

    @property
    def last(self) -> Recorded:
        assert self.requests, "the fake upstream received no request"
        return self.requests[-1]

    # -- helpers

    @staticmethod
    def _error(status: int, message: str, code: str | None, **headers: str) -> JSONResponse:
        kind = "invalid_request_error" if status < 500 else "server_error"
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return JSONResponse(body, status_code=status, headers=headers)

    def _authorised(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def _unauthorised(self) -> JSONResponse:
        return self._error(401, "Incorrect API key provided.", "invalid_api_key")

    @staticmethod
    def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": "fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n"

    def _limited(self, body: dict[str, Any]) -> tuple[list[str], str]:
        """The reply pieces `body`'s `max_tokens` allows, and the finish_reason that gives."""
        limit = body.get("max_tokens")
        if isinstance(limit, int) and limit < len(self.reply):
            return self.reply[:limit], "length"
        return list(self.reply), "stop"

    async def _stall(self) -> None:
        while not self.release.is_set():
            await asyncio.sleep(0.02)

    def _stream(self, events: AsyncIterator[str]) -> StreamingResponse:
        async def body() -> AsyncIterator[str]:
            finished = False
            self.streaming.set()
            try:
                async for event in events:
                    yield event
                    self.streamed_chunks += 1
                finished = True
            finally:
                if not finished:
                    self.disconnected.set()

        return StreamingResponse(body(), media_type="text/event-stream")

    # -- routes

    async def _moved(self, request: Request) -> Response:
        return RedirectResponse("/v1/chat/completions", status_code=308)

    async def _models(self, request: Request) -> Response:
        self.requests.append(Recorded("GET", request.url.path, dict(request.headers), None))
        if not self._authorised(request):
            return self._unauthorised()
        data = [
            {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "library"}
            for m in self.models
        ]
        return JSONResponse({"object": "list", "data": data})

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        recorded = Recorded("POST", request.url.path, dict(request.headers), body)
        if body.get("stream") is False:
            self.completions.append(recorded)
            return await self._completion(request, body)
        self.requests.append(recorded)
        if not self._authorised(request):
            return self._unauthorised()
        model = body.get("model")
        if model == "no-stream-options" and "stream_options" in body:
            return self._error(400, "Unrecognized request argument supplied: stream_options", None)
        if model == "missing-model":
            return self._error(404, f"The model `{model}` does not exist.", "model_not_found")
        if model == "busy":
            return self._error(
                429,
                "Rate limit reached for requests",
                "rate_limit_exceeded",
                **{"Retry-After": "7"},
            )
        if model == "broken":
            return self._error(500, "CUDA out of memory", None)
        if model == "json-answer":  # a server that ignores `stream: true`
            pieces, finish = self._limited(body)
            message = {"role": "assistant", "content": "".join(pieces)}
            choice = {"index": 0, "message": message, "finish_reason": finish}
            return JSONResponse({"object": "chat.completion", "choices": [choice]})
        return self._stream(self._events(str(model), body))

    async def _completion(self, request: Request, body: dict[str, Any]) -> Response:
        """A non-streamed answer: the title (after `title_gate`, if one is set)."""
        if not self._authorised(request):
            return self._unauthorised()
        if self.title_gate is not None:
            while not self.title_gate.is_set() and not self.release.is_set():
                await asyncio.sleep(0.01)
        if self.title_fails:
            return self._error(500, "CUDA out of memory", None)
        message = {"role": "assistant", "content": self.title}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return JSONResponse({"object": "chat.completion", "choices": [choice]})

    def _usage(self, body: dict[str, Any]) -> Iterator[str]:
        options = body.get("stream_options") or {}
        if options.get("include_usage"):
            usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
            final = {"object": "chat.completion.chunk", "choices": [], "usage": usage}
            yield f"data: {json.dumps(final)}\n\n"

    async def _reasoning_events(self, model: str, body: dict[str, Any]) -> AsyncIterator[str]:
        """Reasoning first (in the field the model names, or inline), then the reply."""
        yield self._chunk({"role": "assistant", "content": ""})
        if model == "think-inline":
            thought = "".join(self.reasoning)
            text = f"<think>{thought}</think>\n\n" + "".join(self.reply)
            for start in range(0, len(text), 3):  # the tags split across chunks
                yield self._chunk({"content": text[start : start + 3]})
        else:
            key = "reasoning_content" if model == "reasoning-content" else "reasoning"
            for piece in self.reasoning:
                yield self._chunk({"content": None, key: piece})
            for piece in self.reply:
                yield self._chunk({"content": piece})
        yield self._chunk({}, "stop")
        for event in self._usage(body):
            yield event
        yield "data: [DONE]\n\n"

    async def _events(self, model: str, body: dict[str, Any]) -> AsyncIterator[str]:
        if model in ("reasoning-content", "reasoning-field", "think-inline"):
            async for event in self._reasoning_events(model, body):
                yield event
            return
        if model == "stall-first":
            await self._stall()
            return
        if model == "ollama-style":  # role + content in every chunk, final content ""
            for piece in self.reply:
                yield self._chunk({"role": "assistant", "content": piece})
            yield self._chunk({"role": "assistant", "content": ""}, "stop")
            yield "data: [DONE]\n\n"
            return
        if model == "llamacpp-style":  # content null first; usage + timings on the final chunk
            yield self._chunk({"role": "assistant", "content": None})
            for piece in self.reply:
                yield self._chunk({"content": piece})
            usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
            yield self._chunk({}, "stop", usage=usage, timings={"predicted_ms": 1.0})
            yield "data: [DONE]\n\n"
            return
        # OpenAI's own shape: a role-only first chunk, content chunks, `delta: {}` + stop.
        pieces, finish = self._limited(body)
        yield self._chunk({"role": "assistant", "content": "", "refusal": None})
        for index, piece in enumerate(pieces[:2]):
            if index and self.chunk_pause:
                await asyncio.sleep(self.chunk_pause)
            yield self._chunk({"content": piece})
        if model == "stall-mid":
            await self._stall()
        elif model == "garbage":
            yield "data: {not json\n\n"
        elif model == "no-choices":
            yield 'data: {"id": "chatcmpl-fake", "object": "chat.completion.chunk"}\n\n'
        elif model == "error-chunk":
            error = {"message": "context length exceeded", "type": "invalid_request_error"}
            yield f"data: {json.dumps({'error': error})}\n\n"
        elif model == "cut-short":
            return
        for piece in pieces[2:]:
            if self.chunk_pause:
                await asyncio.sleep(self.chunk_pause)
            yield self._chunk({"content": piece})
        yield self._chunk({}, finish)
        for event in self._usage(body):
            yield event
        yield "data: [DONE]\n\n"


@dataclass
class Upstream:
    """A running fake upstream (the `upstream` fixture)."""

    fake: FakeUpstream
    server: LoopbackServer

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/v1"
