"""Errors as `{"detail": "<human-readable reason>"}`, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope, Send

from backend.asgi import HttpMiddleware

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A failure with an HTTP status and a reason a person can read."""

    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(ApiError):
    status_code = 400


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class ContentTooLarge(ApiError):
    status_code = 413


class Unprocessable(ApiError):
    status_code = 422


class InsufficientStorage(ApiError):
    """The disk is full (or failing): nothing was written; `detail` says so plainly."""

    status_code = 507


class ServiceUnavailable(ApiError):
    """The server cannot do this now (a damaged chat history is never written)."""

    status_code = 503


class BadGateway(ApiError):
    """The upstream model server failed (`detail` says how)."""

    status_code = 502


def error_response(
    status_code: int, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)


def _location(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p != "body"] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """One readable sentence for Pydantic/FastAPI validation errors."""
    reasons: list[str] = []
    for error in errors:
        if error.get("type") == "json_invalid":
            ctx = error.get("ctx") or {}
            reasons.append(f"The body is not valid JSON ({ctx.get('error', 'decode error')})")
            continue
        where = _location(error.get("loc", ()))
        message = str(error.get("msg", "invalid value"))
        reasons.append(f"{where}: {message}" if where else message)
    return "; ".join(reasons) or "Invalid request"


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.detail, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, describe_validation_errors(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own 400 for a body its JSON parser gave up on (e.g. nested too deeply) is
    bad JSON, so 422 as PROTOCOL.md says; every other HTTP error keeps FastAPI's handling."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
        return error_response(422, "The body is not valid JSON (it could not be parsed)")
    return await http_exception_handler(request, exc)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The path only: the query string may carry the token.
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal error")


class CatchAllMiddleware(HttpMiddleware):
    """Answers an unexpected exception with `500 {"detail": "Internal error"}` itself and
    keeps the connection usable: Starlette's own last-resort handler answers and re-raises,
    and uvicorn then closes the connection without `Connection: close` (a client's next
    request on it failed with a reset). After the answer has started it can only re-raise."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:
                raise
            # The path only: the query string may carry the token.
            logger.error("Unhandled error on %s %s", scope["method"], scope["path"], exc_info=exc)
            await error_response(500, "Internal error")(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(CatchAllMiddleware)  # first added: the innermost middleware
