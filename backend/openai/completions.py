"""`POST /v1/chat/completions` (PROTOCOL.md section 5): a request and a responder in, OpenAI's
`chat.completion` (or a stream of `chat.completion.chunk`s) out. Stateless: nothing is stored.

The routes themselves live in `backend.routers.openai_api`; this module is what they do.
Every failure is an `OpenAIAPIError` (OpenAI's `{"error": {...}}` shape): before the first
chunk with a real HTTP status, after it as one `data: {"error": ...}` event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.responses import Response
from starlette.types import Send

from backend.openai import wire
from backend.reasoning import ReplySplitter
from backend.records import Part, Role, cut_parts, merged, text_of
from backend.responders import (
    ChatMessage,
    Chunk,
    Responder,
    ResponderError,
    TunableResponder,
)

log = logging.getLogger(__name__)

_CLOSE_TIMEOUT = 5.0  # seconds a responder gets to close (e.g. its upstream connection)
_DISCONNECT_CHECK = 0.5  # seconds between client-disconnect checks of a non-streamed reply


@dataclass(frozen=True)
class Limits:
    """What a /v1 request is checked against (from `Settings`).

    `strict_model`: when True, a `model` other than the listed one is a 404
    `model_not_found` (as OpenAI, Ollama and vLLM do); when False (the default, as
    llama.cpp does) any model name is served by the configured responder.
    `max_content_chars`: a message longer than this is a 413 (`None`: no limit).
    `max_reply_chars`: a completion is cut there, `finish_reason: "length"` (`None`: no limit).
    """

    strict_model: bool = False
    max_content_chars: int | None = None
    max_reply_chars: int | None = None


def _history(body: wire.ChatCompletionRequest) -> list[ChatMessage]:
    # `developer` is OpenAI's newer name for `system`. ChatMessage.role is typed
    # user|assistant; system turns are passed through as-is for responders that use them.
    return [
        ChatMessage(
            role=cast(Role, "system" if m.role == "developer" else m.role), content=m.text()
        )
        for m in body.messages
    ]


def responder_failure(exc: ResponderError) -> wire.OpenAIAPIError:
    """A responder's failure as the error a /v1 client gets (429, 504 or 502)."""
    if exc.code == "rate_limited":
        retry_after: str | None = getattr(exc, "retry_after", None)
        headers = {"Retry-After": retry_after} if retry_after else None
        return wire.OpenAIAPIError(
            429, exc.detail, type="rate_limit_error", code="rate_limit_exceeded", headers=headers
        )
    status = 504 if exc.code == "timeout" else 502
    return wire.OpenAIAPIError(status, exc.detail, type="upstream_error", code=exc.code)


def unexpected_failure(exc: Exception, where: str = "the responder") -> wire.OpenAIAPIError:
    """A 500 for a failure nobody foresaw; the trace goes to the log, never to the client."""
    log.error("unexpected error in %s", where, exc_info=exc)
    return wire.OpenAIAPIError(
        500, "The model failed to generate a reply", type="server_error", code="server_error"
    )


async def _close(iterator: AsyncIterator[Chunk] | AsyncIterator[str]) -> None:
    """`aclose()` the responder's iterator, shielded from the cancellation that ended it."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is None:
        return
    with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_TIMEOUT):
        await aclose()


def _for_request(
    responder: Responder, body: wire.ChatCompletionRequest
) -> tuple[Responder, int | None]:
    """The responder configured for `body`, and the chunk limit the router must enforce.

    A `TunableResponder` (the OpenAI-compatible upstream) is given the request's
    `temperature` and `max_tokens` (None: its configured ones) and ends the reply itself.
    Any other (echo) takes no options and has no tokens, so as a safety net the router
    cuts its reply after `max_tokens` chunks (one code point each for echo).
    """
    if isinstance(responder, TunableResponder):
        tuned = responder.with_options(temperature=body.temperature, max_tokens=body.token_limit)
        return tuned, None
    return responder, body.token_limit


@dataclass
class _Reply:
    """One completion in progress: ids, model name, limits and the responder's iterator.

    `limit` is the router's own cut-off in chunks (None when the responder enforces
    `max_tokens` itself, see `_for_request`).
    """

    responder: Responder
    iterator: AsyncIterator[Chunk]
    limit: int | None
    prompt_tokens: int
    id: str = field(default_factory=wire.new_completion_id)
    created: int = field(default_factory=wire.now)
    chunks: int = 0  # the responder's text and reasoning chunks so far
    splitter: ReplySplitter = field(default_factory=ReplySplitter)
    max_chars: int | None = None  # code points over all parts, then the reply is `cut`
    chars: int = 0
    cut: bool = False

    @property
    def model(self) -> str:
        return self.responder.model

    def take(self, chunk: Chunk) -> list[Part]:
        """The parts `chunk` settles (reasoning taken out of `<think>` text too)."""
        if isinstance(chunk, str) and chunk or isinstance(chunk, Part) and chunk.text:
            self.chunks += 1
        return self.within_limit(self.splitter.feed(chunk))

    def within_limit(self, parts: Sequence[Part]) -> list[Part]:
        """`parts` as far as `max_chars` allows (counted); past it the reply is `cut`."""
        if self.max_chars is None:
            return list(parts)
        kept, cut = cut_parts(parts, self.max_chars - self.chars)
        self.chars += sum(len(p.text) for p in kept)
        self.cut = self.cut or cut
        return kept

    def chunk(self, **kwargs: Any) -> str:
        return wire.sse_data(wire.chunk(self.id, created=self.created, model=self.model, **kwargs))

    def part_chunk(self, part: Part) -> str:
        """A content chunk: `delta.content`, or `delta.reasoning_content` for reasoning."""
        key = "reasoning_content" if part.type == "reasoning" else "content"
        return self.chunk(delta={key: part.text})

    def usage(self) -> dict[str, int]:
        """The upstream's token counts where it gave them, else this router's estimate."""
        reported = self.splitter.usage
        prompt = reported.prompt_tokens if reported else None
        completion = reported.completion_tokens if reported else None
        return wire.usage(
            self.prompt_tokens if prompt is None else prompt,
            self.chunks if completion is None else completion,
        )

    @property
    def at_limit(self) -> bool:
        return self.cut or (self.limit is not None and self.chunks >= self.limit)

    @property
    def finish_reason(self) -> str:
        """`length` if the router cut the reply, else the responder's reason (`stop` if none)."""
        if self.at_limit:
            return "length"
        if isinstance(self.responder, TunableResponder):
            return self.responder.finish_reason or "stop"
        return "stop"


async def _first_piece(reply: _Reply) -> Chunk | None:
    """Pull the first chunk before answering, so an early failure gets a real HTTP status."""
    try:
        return await anext(reply.iterator)
    except StopAsyncIteration:
        return None
    except ResponderError as exc:
        await _close(reply.iterator)
        raise responder_failure(exc) from exc
    except Exception as exc:
        await _close(reply.iterator)
        raise unexpected_failure(exc) from exc


async def _event_stream(
    reply: _Reply, first: Chunk | None, include_usage: bool
) -> AsyncIterator[str]:
    """Role chunk, content chunks, finish chunk, optional usage chunk, `[DONE]`.

    A failure after the first chunk becomes one `data: {"error": ...}` event (as OpenAI
    does mid-stream) and the stream ends without `[DONE]`.
    """
    try:
        yield reply.chunk(delta={"role": "assistant"})
        piece = first
        while piece is not None:
            for part in reply.take(piece):
                yield reply.part_chunk(part)
            if reply.at_limit:
                break
            piece = await anext(reply.iterator, None)
        for part in reply.within_limit(reply.splitter.end()):
            yield reply.part_chunk(part)
        yield reply.chunk(delta={}, finish_reason=reply.finish_reason)
        if include_usage:
            yield wire.sse_data(
                wire.chunk(reply.id, created=reply.created, model=reply.model, usage_=reply.usage())
            )
        yield wire.SSE_DONE
    except ResponderError as exc:
        yield wire.sse_data(responder_failure(exc).body())
    except Exception as exc:  # the client gets a readable error event, the log the trace
        yield wire.sse_data(unexpected_failure(exc).body())
    finally:
        await _close(reply.iterator)


class _ClosingStreamingResponse(StreamingResponse):
    """Closes the body generator as soon as the response ends, even on a disconnect.

    Starlette cancels the send loop when the client goes away; without this the
    generator (and with it the upstream connection) would wait for garbage collection.
    """

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        finally:
            await _close(cast(AsyncIterator[str], self.body_iterator))


async def _collect(reply: _Reply, request: Request) -> tuple[tuple[Part, ...], str]:
    parts: list[Part] = []
    next_check = time.monotonic() + _DISCONNECT_CHECK
    try:
        async for piece in reply.iterator:
            parts.extend(reply.take(piece))
            if reply.at_limit:
                break
            if time.monotonic() >= next_check:  # a gone client stops the generation
                if await request.is_disconnected():
                    break
                next_check = time.monotonic() + _DISCONNECT_CHECK
    except ResponderError as exc:
        raise responder_failure(exc) from exc
    except Exception as exc:
        raise unexpected_failure(exc) from exc
    finally:
        await _close(reply.iterator)
    parts.extend(reply.within_limit(reply.splitter.end()))
    return merged(parts), reply.finish_reason


def _check_request(limits: Limits, responder: Responder, body: wire.ChatCompletionRequest) -> None:
    for index, message in enumerate(body.messages):
        try:  # a lone surrogate would be echoed into an answer that cannot be encoded
            message.text().encode("utf-8")
        except UnicodeEncodeError:
            raise wire.OpenAIAPIError(
                422,
                f"messages[{index}].content is not valid Unicode (lone surrogate)",
                param=f"messages[{index}].content",
                code="invalid_request",
            ) from None
    limit = limits.max_content_chars
    if limit is not None:
        for index, message in enumerate(body.messages):
            if len(message.text()) > limit:
                raise wire.OpenAIAPIError(
                    413,
                    f"messages[{index}].content is longer than {limit} characters",
                    param=f"messages[{index}].content",
                    code="content_too_large",
                )
    requested = body.model
    if limits.strict_model and requested != responder.model:
        raise wire.OpenAIAPIError(
            404,
            f"The model '{requested}' does not exist; this server offers '{responder.model}'",
            param="model",
            code="model_not_found",
        )


async def chat_completion(
    body: wire.ChatCompletionRequest, request: Request, responder: Responder, limits: Limits
) -> Response:
    """Answer one chat-completions request with `responder` (raises `OpenAIAPIError`)."""
    _check_request(limits, responder, body)
    history: Sequence[ChatMessage] = _history(body)
    responder, limit = _for_request(responder, body)
    reply = _Reply(
        responder=responder,
        iterator=responder.stream(history),
        limit=limit,
        prompt_tokens=wire.estimate_tokens([m.content for m in history]),
        max_chars=limits.max_reply_chars,
    )
    if body.stream:
        first = await _first_piece(reply)
        return _ClosingStreamingResponse(
            _event_stream(reply, first, body.include_usage),
            media_type=wire.SSE_MEDIA_TYPE,
            headers=wire.SSE_HEADERS,
        )
    parts, finish = await _collect(reply, request)
    return JSONResponse(
        wire.completion(
            reply.id,
            created=reply.created,
            model=reply.model,
            content=text_of(parts),
            reasoning=text_of(parts, "reasoning"),
            finish_reason=finish,
            usage_=reply.usage(),
        )
    )
