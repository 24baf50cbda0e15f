"""OpenAI-compatible routes (PROTOCOL.md section 5): `GET /v1/models`, `POST /v1/chat/completions`.

Stateless: nothing is stored. The reply comes from the app's configured `Responder`,
which this router finds through `app.state.openai_api` (an `OpenAIApiConfig`); call
`install_openai_api(app, responder=..., token=...)` to set it and include the router.
Every error on these paths, including 401 and 422, is in OpenAI's shape
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Send

from backend import openai_wire as wire
from backend.errors import describe_validation_errors
from backend.openai_upstream import UpstreamError
from backend.records import Role
from backend.responders import (
    ChatMessage,
    Responder,
    ResponderSource,
    TunableResponder,
    resolve_responder,
)
from backend.security import request_token, token_matches

log = logging.getLogger(__name__)

STATE_ATTR = "openai_api"
_CLOSE_TIMEOUT = 5.0  # seconds a responder gets to close (e.g. its upstream connection)
_DISCONNECT_CHECK = 0.5  # seconds between client-disconnect checks of a non-streamed reply


@dataclass
class OpenAIApiConfig:
    """What the /v1 routes need from the app; lives at `app.state.openai_api`.

    `responder`: the `Responder` to use, or a zero-argument callable returning the current
    one (so a provider changed in Settings applies to the next request).
    `token`: the API key clients must send (`Authorization: Bearer <token>` or
    `?token=`); `None` turns the check off (`serve --no-auth`).
    `strict_model`: when True, a `model` other than the listed one is a 404
    `model_not_found` (as OpenAI, Ollama and vLLM do); when False (the default, as
    llama.cpp does) any model name is served by the configured responder.
    `max_content_chars`: a message longer than this is a 413 (`None`: no limit).
    `max_reply_chars`: a completion is cut there, `finish_reason: "length"` (`None`: no limit).
    """

    responder: ResponderSource
    token: str | None
    strict_model: bool = False
    max_content_chars: int | None = None
    max_reply_chars: int | None = None
    created: int = field(default_factory=lambda: int(time.time()))

    def current_responder(self) -> Responder:
        return resolve_responder(self.responder)


class OpenAIRoute(APIRoute):
    """Answers every failure of a /v1 route in OpenAI's error shape, never `{"detail"}`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except wire.OpenAIAPIError as exc:
                return exc.response()
            except RequestValidationError as exc:
                message = describe_validation_errors(exc.errors())
                return wire.OpenAIAPIError(422, message, code="invalid_request").response()
            except StarletteHTTPException as exc:
                kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
                return wire.OpenAIAPIError(
                    exc.status_code, str(exc.detail), type=kind, headers=exc.headers
                ).response()
            except Exception as exc:
                where = f"{request.method} {request.url.path}"  # never the query: ?token=
                return _unexpected_failure(exc, where).response()

        return route


def get_config(request: Request) -> OpenAIApiConfig:
    config = getattr(request.app.state, STATE_ATTR, None)
    if not isinstance(config, OpenAIApiConfig):
        raise wire.OpenAIAPIError(
            503,
            "The OpenAI-compatible API is not configured on this server",
            type="server_error",
            code="not_configured",
        )
    return config


Config = Annotated[OpenAIApiConfig, Depends(get_config)]


def require_api_key(request: Request, config: Config) -> None:
    """The launch token is the API key (PROTOCOL.md section 1), checked as `security` does.

    Same token sources and constant-time comparison as `backend.security.require_token`,
    but the 401 is in OpenAI's shape so OpenAI clients raise `AuthenticationError`.
    """
    if config.token is None:
        return
    presented = request_token(request)
    if not token_matches(presented, config.token):
        message = (
            "Missing API key: send 'Authorization: Bearer <token>'"
            if presented is None
            else "Incorrect API key provided"
        )
        raise wire.OpenAIAPIError(
            401, message, code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"}
        )


def get_responder(config: Config) -> Responder:
    """The hook the routes get their responder through (override it in tests if needed)."""
    return config.current_responder()


CurrentResponder = Annotated[Responder, Depends(get_responder)]

router = APIRouter(
    prefix="/v1",
    tags=["openai"],
    route_class=OpenAIRoute,
    dependencies=[Depends(require_api_key)],
)


def install_openai_api(
    app: FastAPI,
    *,
    responder: ResponderSource,
    token: str | None,
    strict_model: bool = False,
    max_content_chars: int | None = None,
    max_reply_chars: int | None = None,
) -> OpenAIApiConfig:
    """Configure and mount the /v1 routes on `app`; returns the config (mutable later)."""
    config = OpenAIApiConfig(
        responder=responder,
        token=token,
        strict_model=strict_model,
        max_content_chars=max_content_chars,
        max_reply_chars=max_reply_chars,
    )
    setattr(app.state, STATE_ATTR, config)
    app.include_router(router)
    return config


@router.get("/models")
async def list_models(config: Config, responder: CurrentResponder) -> dict[str, Any]:
    entry = wire.model_entry(responder.model, created=config.created, owned_by=responder.name)
    return {"object": "list", "data": [entry]}


def _history(body: wire.ChatCompletionRequest) -> list[ChatMessage]:
    # `developer` is OpenAI's newer name for `system`. ChatMessage.role is typed
    # user|assistant; system turns are passed through as-is for responders that use them.
    return [
        ChatMessage(
            role=cast(Role, "system" if m.role == "developer" else m.role), content=m.text()
        )
        for m in body.messages
    ]


def _upstream_failure(exc: UpstreamError) -> wire.OpenAIAPIError:
    if exc.code == "rate_limited":
        headers = {"Retry-After": exc.retry_after} if exc.retry_after else None
        return wire.OpenAIAPIError(
            429, exc.detail, type="rate_limit_error", code="rate_limit_exceeded", headers=headers
        )
    status = 504 if exc.code == "timeout" else 502
    return wire.OpenAIAPIError(status, exc.detail, type="upstream_error", code=exc.code)


def _unexpected_failure(exc: Exception, where: str = "the responder") -> wire.OpenAIAPIError:
    log.error("unexpected error in %s", where, exc_info=exc)
    return wire.OpenAIAPIError(
        500, "The model failed to generate a reply", type="server_error", code="server_error"
    )


async def _close(iterator: AsyncIterator[str]) -> None:
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
    iterator: AsyncIterator[str]
    limit: int | None
    prompt_tokens: int
    max_chars: int | None = None
    id: str = field(default_factory=wire.new_completion_id)
    created: int = field(default_factory=wire.now)
    chunks: int = 0
    chars: int = 0
    cut: bool = False

    def take(self, piece: str) -> str:
        """`piece` as far as `max_chars` allows (counted); past it the reply is `cut`."""
        if self.max_chars is not None and self.chars + len(piece) > self.max_chars:
            piece = piece[: self.max_chars - self.chars]
            self.cut = True
        self.chars += len(piece)
        return piece

    @property
    def model(self) -> str:
        return self.responder.model

    def chunk(self, **kwargs: Any) -> str:
        return wire.sse_data(wire.chunk(self.id, created=self.created, model=self.model, **kwargs))

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


async def _first_piece(reply: _Reply) -> str | None:
    """Pull the first chunk before answering, so an early failure gets a real HTTP status."""
    try:
        return await anext(reply.iterator)
    except StopAsyncIteration:
        return None
    except UpstreamError as exc:
        await _close(reply.iterator)
        raise _upstream_failure(exc) from exc
    except Exception as exc:
        await _close(reply.iterator)
        raise _unexpected_failure(exc) from exc


async def _event_stream(
    reply: _Reply, first: str | None, include_usage: bool
) -> AsyncIterator[str]:
    """Role chunk, content chunks, finish chunk, optional usage chunk, `[DONE]`.

    A failure after the first chunk becomes one `data: {"error": ...}` event (as OpenAI
    does mid-stream) and the stream ends without `[DONE]`.
    """
    try:
        yield reply.chunk(delta={"role": "assistant"})
        piece = first
        while piece is not None:
            if piece:
                piece = reply.take(piece)
                if piece:
                    reply.chunks += 1
                    yield reply.chunk(delta={"content": piece})
                if reply.at_limit:
                    break
            piece = await anext(reply.iterator, None)
        yield reply.chunk(delta={}, finish_reason=reply.finish_reason)
        if include_usage:
            used = wire.usage(reply.prompt_tokens, reply.chunks)
            yield wire.sse_data(
                wire.chunk(reply.id, created=reply.created, model=reply.model, usage_=used)
            )
        yield wire.SSE_DONE
    except UpstreamError as exc:
        yield wire.sse_data(_upstream_failure(exc).body())
    except Exception as exc:  # the client gets a readable error event, the log the trace
        yield wire.sse_data(_unexpected_failure(exc).body())
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


async def _collect(reply: _Reply, request: Request) -> tuple[str, str]:
    parts: list[str] = []
    next_check = time.monotonic() + _DISCONNECT_CHECK
    try:
        async for piece in reply.iterator:
            if not piece:
                continue
            piece = reply.take(piece)
            if piece:
                parts.append(piece)
                reply.chunks += 1
            if reply.at_limit:
                break
            if time.monotonic() >= next_check:  # a gone client stops the generation
                if await request.is_disconnected():
                    break
                next_check = time.monotonic() + _DISCONNECT_CHECK
    except UpstreamError as exc:
        raise _upstream_failure(exc) from exc
    except Exception as exc:
        raise _unexpected_failure(exc) from exc
    finally:
        await _close(reply.iterator)
    return "".join(parts), reply.finish_reason


def _check_request(
    config: OpenAIApiConfig, responder: Responder, body: wire.ChatCompletionRequest
) -> None:
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
    limit = config.max_content_chars
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
    if config.strict_model and requested != responder.model:
        raise wire.OpenAIAPIError(
            404,
            f"The model '{requested}' does not exist; this server offers '{responder.model}'",
            param="model",
            code="model_not_found",
        )


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: wire.ChatCompletionRequest,
    request: Request,
    config: Config,
    responder: CurrentResponder,
) -> Response | dict[str, Any]:
    _check_request(config, responder, body)
    history: Sequence[ChatMessage] = _history(body)
    responder, limit = _for_request(responder, body)
    reply = _Reply(
        responder=responder,
        iterator=responder.stream(history),
        limit=limit,
        prompt_tokens=wire.estimate_tokens([m.content for m in history]),
        max_chars=config.max_reply_chars,
    )
    if body.stream:
        first = await _first_piece(reply)
        return _ClosingStreamingResponse(
            _event_stream(reply, first, body.include_usage),
            media_type=wire.SSE_MEDIA_TYPE,
            headers=wire.SSE_HEADERS,
        )
    content, finish = await _collect(reply, request)
    return JSONResponse(
        wire.completion(
            reply.id,
            created=reply.created,
            model=reply.model,
            content=content,
            finish_reason=finish,
            usage_=wire.usage(reply.prompt_tokens, reply.chunks),
        )
    )


_KNOWN = {"models": "GET", "chat/completions": "POST"}


@router.api_route(
    "/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
    include_in_schema=False,
)
async def unknown_route(rest: str, request: Request) -> Response:
    """Unknown /v1 paths and wrong methods, answered in OpenAI's shape too."""
    allowed = _KNOWN.get(rest.strip("/"))
    if allowed is not None and request.method != allowed:
        return wire.OpenAIAPIError(
            405,
            f"Method {request.method} is not allowed on /v1/{rest}; use {allowed}",
            code="method_not_allowed",
            headers={"Allow": allowed},
        ).response()
    return wire.OpenAIAPIError(404, f"Unknown endpoint /v1/{rest}", code="unknown_url").response()
