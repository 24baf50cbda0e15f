"""A responder that streams replies from any OpenAI-compatible server.

OpenAI itself, Ollama (`http://localhost:11434/v1`), llama.cpp's `llama-server`
(`http://localhost:8080/v1`), vLLM (`http://localhost:8000/v1`) and LM Studio
(`http://localhost:1234/v1`) all answer `POST {base_url}/chat/completions` with
`stream: true` as Server-Sent Events: `data: <chat.completion.chunk JSON>` lines, then
`data: [DONE]`. This module reads that stream with httpx + httpx-sse and turns every
failure into one exception type, `UpstreamError` (`backend.openai.errors`), whose
`detail` is fit to show a user.

The API key is sent only in the `Authorization` header; it is never logged nor put in
an error message or a `repr`.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse

from backend.openai.chunks import Completion, parse_chunk, parse_completion
from backend.openai.connection import auth_headers, normalise_base_url, timeouts
from backend.openai.errors import (
    UpstreamError,
    clip,
    error_message,
    shown_url,
    status_error,
    transport_error,
)
from backend.openai.models import ConnectionCheck, check_connection, list_models
from backend.openai.pacing import paced_transport
from backend.openai.reading import (
    MAX_JSON_ANSWER_BYTES,
    MAX_SILENT_BYTES,
    AnswerTooLarge,
    capped_events,
    read_capped,
    read_head,
    size_text,
)
from backend.reasoning import split_text
from backend.records import Part
from backend.responders import Chunk, Usage

__all__ = [
    "ConnectionCheck",
    "MessageLike",
    "OpenAICompatResponder",
    "UpstreamError",
    "check_connection",
    "list_models",
]

log = logging.getLogger(__name__)

#: Base URLs whose server answered 400 to `stream_options` (asked without it from then on).
_NO_STREAM_OPTIONS: set[str] = set()


class _OptionsRejected(Exception):
    """The server answered 400 to `stream_options` (nothing was streamed yet)."""


class MessageLike(Protocol):
    """What the responder reads from a chat message (`responders.ChatMessage` fits)."""

    @property
    def role(self) -> str: ...

    @property
    def content(self) -> str: ...


def _rejects_stream_options(response: httpx.Response, head: bytes) -> bool:
    """A 400 (or 422) whose body (`head`: its start) names `stream_options` / `include_usage`."""
    if response.status_code not in (400, 422):
        return False
    text = head.decode("utf-8", errors="replace").lower()
    return "stream_options" in text or "include_usage" in text


def _chunks_of(answer: Completion) -> list[Chunk]:
    chunks: list[Chunk] = []
    if answer.reasoning:
        chunks.append(Part("reasoning", answer.reasoning))
    chunks.append(answer.text)
    if answer.usage is not None:
        chunks.append(answer.usage)
    return chunks


class OpenAICompatResponder:
    """Streams a reply from `{base_url}/chat/completions` (OpenAI's chat-completions API).

    Implements the app's `Responder` protocol: `stream(messages)` is an async generator
    of text pieces (`choices[0].delta.content`). Every failure raises `UpstreamError`.
    Closing the generator (`aclose()`) or cancelling the task that iterates it closes
    the upstream HTTP connection at once, so the server stops generating.

    A `TunableResponder`: `with_options` gives a per-request copy (a /v1 request's
    `temperature`, `max_tokens`) whose `finish_reason` is the upstream's, once streamed.
    """

    name = "openai-compatible"

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        system_prompt: str | None = None,
        temperature: float | None = None,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        max_tokens: int | None = None,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self._api_key = api_key
        self.model = model
        self.system_prompt = system_prompt
        self.temperature = temperature
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_tokens = max_tokens
        self.finish_reason: str | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={shown_url(self.base_url)!r}, "
            f"model={self.model!r}, api_key={'<set>' if self._api_key else None})"
        )

    def payload(
        self, messages: Sequence[MessageLike], *, include_usage: bool = False
    ) -> dict[str, Any]:
        """The JSON body sent upstream: system prompt first (if set), then the history."""
        history: list[dict[str, str]] = []
        if self.system_prompt and self.system_prompt.strip():
            history.append({"role": "system", "content": self.system_prompt})
        history.extend({"role": str(m.role), "content": m.content} for m in messages)
        body: dict[str, Any] = {"model": self.model, "messages": history, "stream": True}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        return body

    def with_options(
        self, *, temperature: float | None = None, max_tokens: int | None = None
    ) -> OpenAICompatResponder:
        """A copy for one request; options given replace the configured ones, None keeps them."""
        return self._copy(temperature=temperature, max_tokens=max_tokens)

    def configured(self, model: str | None, system_prompt: str | None) -> OpenAICompatResponder:
        """A copy for one conversation's turn: its own model / system prompt, None keeps ours."""
        return self._copy(model=model, system_prompt=system_prompt)

    def _copy(self, **changes: Any) -> OpenAICompatResponder:
        """A copy with the attributes given (None: keep ours), no finish reason yet."""
        clone = copy.copy(self)
        for name, value in changes.items():
            if value is not None:
                setattr(clone, name, value)
        clone.finish_reason = None
        return clone

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(
            timeout=timeouts(self.connect_timeout, self.read_timeout),
            headers=auth_headers(self._api_key),
            transport=paced_transport(),  # at most one read per `READ_WINDOW` (`pacing.py`)
        ) as client:
            yield client

    async def stream(self, messages: Sequence[MessageLike]) -> AsyncIterator[Chunk]:
        """Text (`str`), reasoning (`Part("reasoning", ...)`) and, at the end, `Usage`.

        Usage is asked for with `stream_options.include_usage`; a server that rejects that
        (a 400 naming it) is asked again without, and never again with it (per base URL).
        """
        self.finish_reason = None
        include_usage = self.base_url not in _NO_STREAM_OPTIONS
        try:
            async with self._client() as client:
                while True:
                    body = self.payload(messages, include_usage=include_usage)
                    try:
                        async for chunk in self._request(client, body):
                            yield chunk
                        return
                    except _OptionsRejected:
                        log.info("%s rejects stream_options; asking without", self._shown)
                        _NO_STREAM_OPTIONS.add(self.base_url)
                        include_usage = False
        except httpx.HTTPError as exc:
            raise transport_error(
                exc, self.base_url, self.connect_timeout, self.read_timeout
            ) from exc

    @property
    def _shown(self) -> str:
        return shown_url(self.base_url)

    async def _request(
        self, client: httpx.AsyncClient, body: dict[str, Any]
    ) -> AsyncIterator[Chunk]:
        url = f"{self.base_url}/chat/completions"
        log.info(
            "upstream request: POST %s model=%s messages=%d",
            shown_url(url),
            self.model,
            len(body["messages"]),
        )
        async with aconnect_sse(client, "POST", url, json=body) as source:
            response = source.response
            if response.status_code >= 300:
                head = await read_head(response)
                if "stream_options" in body and _rejects_stream_options(response, head):
                    raise _OptionsRejected
                raise status_error(response, self.base_url, model=self.model, body=head)
            content_type = response.headers.get("content-type", "")
            if "text/event-stream" not in content_type:
                raw = await self._read(response, MAX_JSON_ANSWER_BYTES, "its answer")
                answer = parse_completion(self._json_answer(response, raw), self.base_url)
                self.finish_reason = answer.finish_reason
                for chunk in _chunks_of(answer):
                    yield chunk
                return
            reason: str | None = None  # local: turns may share this instance
            usage: Usage | None = None
            silent = 0  # bytes since the last text: an upstream looping on empty chunks
            async for event, size in self._events(response):
                if event.data.strip() == "[DONE]":
                    break
                silent += size
                if silent > MAX_SILENT_BYTES:
                    raise UpstreamError(
                        f"{self._shown} sent more than "
                        f"{size_text(MAX_SILENT_BYTES)} of stream without any text",
                        code="malformed",
                    )
                if not event.data and event.event != "error":
                    continue  # e.g. an event carrying only `id:` or `retry:`
                delta = parse_chunk(event, self.base_url)
                if delta.finish_reason is not None:
                    reason = self.finish_reason = delta.finish_reason
                usage = delta.usage or usage
                if delta.reasoning:
                    silent = 0
                    yield Part("reasoning", delta.reasoning)
                if delta.text:
                    silent = 0
                    yield delta.text
            else:
                if reason is None:
                    raise UpstreamError(
                        f"{self._shown} ended the stream before the reply was finished "
                        "(no finish_reason, no [DONE])",
                        code="connection_lost",
                    )
            if usage is not None:
                yield usage

    async def complete(self, messages: Sequence[MessageLike], *, timeout: float) -> str:
        """One short non-streamed answer (a conversation's title) without the system prompt,
        its reasoning left out; waits at most `timeout` seconds for the server."""
        url = f"{self.base_url}/chat/completions"
        history = [{"role": str(m.role), "content": m.content} for m in messages]
        body = {"model": self.model, "messages": history, "stream": False}
        log.info("upstream request: POST %s model=%s (not streamed)", shown_url(url), self.model)
        try:
            async with (
                httpx.AsyncClient(
                    timeout=timeouts(min(timeout, self.connect_timeout), timeout),
                    headers=auth_headers(self._api_key),
                ) as client,
                client.stream("POST", url, json=body) as response,
            ):
                if response.status_code >= 300:
                    head = await read_head(response)
                    raise status_error(response, self.base_url, model=self.model, body=head)
                raw = await self._read(response, MAX_JSON_ANSWER_BYTES, "its answer")
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.base_url, self.connect_timeout, timeout) from exc
        answer = parse_completion(self._json_answer(response, raw), self.base_url)
        return split_text(answer.text)[1]

    async def _events(self, response: httpx.Response) -> AsyncIterator[tuple[ServerSentEvent, int]]:
        try:
            async for item in capped_events(response):
                yield item
        except AnswerTooLarge as exc:
            raise UpstreamError(
                f"{shown_url(self.base_url)} sent a stream event over {size_text(exc.limit)}",
                code="malformed",
            ) from None

    async def _read(self, response: httpx.Response, limit: int, what: str) -> bytes:
        try:
            return await read_capped(response, limit)
        except AnswerTooLarge:
            raise UpstreamError(
                f"{shown_url(self.base_url)} sent more than {size_text(limit)} as {what}",
                code="malformed",
            ) from None

    def _json_answer(self, response: httpx.Response, raw: bytes) -> Any:
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            ctype = response.headers.get("content-type") or "no content type"
            raise UpstreamError(
                f"{shown_url(self.base_url)} did not answer with an event stream "
                f"({ctype}): {clip(text)!r}",
                code="malformed",
            ) from None
        message = error_message(body)
        if message is not None:
            raise UpstreamError(
                f"{shown_url(self.base_url)} reported an error: {clip(message)}",
                code="upstream_error",
            )
        return body
