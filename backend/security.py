"""Who may talk to the server: launch token, DNS-rebinding (Host) and Origin guards, body limit.

PROTOCOL.md section 1. The token check is a FastAPI dependency (`require_token`, `Authorized`);
the guards are plain ASGI middleware so they also cover unknown routes and CORS preflights.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.asgi import HttpMiddleware
from backend.config import Settings
from backend.errors import ApiError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class Unauthorized(ApiError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


def request_token(request: Request) -> str | None:
    """The token a request carries: `Authorization: Bearer <token>` or `?token=<token>`."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.query_params.get("token")


def token_matches(given: str | None, expected: str) -> bool:
    if given is None:
        return False
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


async def require_token(request: Request) -> None:
    """401 unless the request carries the launch token (or auth is off)."""
    settings: Settings = request.app.state.settings
    if not settings.auth:
        return
    if not token_matches(request_token(request), settings.token):
        raise Unauthorized("Missing or wrong token")


Authorized = Annotated[None, Depends(require_token)]


async def _send_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def allowed_hosts(port: int) -> frozenset[str]:
    names = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    if port == 80:
        names.update(LOOPBACK_NAMES)
    return frozenset(names)


class GuardMiddleware(HttpMiddleware):
    """403 for a foreign `Host` (when bound to loopback) or an `Origin` not allowed; and,
    without a token (`--no-auth`), for a cross-site request without an allowed `Origin`.

    Browsers send `Sec-Fetch-Site` on every request (an `<img>` too) and `Origin` on
    `fetch` and `EventSource`: so any web page could make a browser GET `/stream` and
    consume a pending message, while the tutorial's client (on an allowed origin) and
    clients that send neither header (curl, the desktop) keep passing.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(app)
        self.check_host = settings.is_loopback
        self.origins = frozenset(o.rstrip("/") for o in settings.allow_origins)
        self.check_fetch_site = not settings.auth

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        if self.check_host:
            server = scope.get("server")
            host = headers.get("host", "").lower()
            if server is None or host not in allowed_hosts(int(server[1])):
                await _send_error(send, 403, "Forbidden host")
                return
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, scope, headers):
            await _send_error(send, 403, "Forbidden origin")
            return
        if (
            self.check_fetch_site
            and origin is None
            and headers.get("sec-fetch-site", "").strip().lower() == "cross-site"
        ):
            await _send_error(send, 403, "Forbidden cross-site request")
            return
        await self.app(scope, receive, send)

    def _origin_allowed(self, origin: str, scope: Scope, headers: Headers) -> bool:
        """`--allow-origin`, or the server's own origin: `http://` + an accepted `Host`."""
        origin = origin.rstrip("/")
        if origin in self.origins:
            return True
        origin = origin.lower()
        if not origin.startswith("http://"):
            return False
        host = origin.removeprefix("http://")
        if self.check_host:  # the request's Host was accepted: any loopback name will do
            server = scope.get("server")
            return server is not None and host in allowed_hosts(int(server[1]))
        return host == headers.get("host", "").lower()


class BodyLimitMiddleware(HttpMiddleware):
    """413 for a body over the limit: by `Content-Length`, or by counting streamed bytes.

    The body (at most the limit) is read up front and replayed to the app.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, streamed: dict[str, int] | None = None
    ) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        #: Paths that read their body as a stream themselves, with their own limit.
        self.streamed = streamed or {}

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        own = self.streamed.get(scope.get("path", ""))
        if own is not None:  # counted by the route as it reads; refused early by its length
            if length is not None and length.isdigit() and int(length) > own:
                await _send_error(send, 413, f"The request body is over {own} bytes")
                return
            await self.app(scope, receive, send)
            return
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _send_error(send, 413, f"The request body is over {self.max_bytes} bytes")
            return
        if length is None and "chunked" not in headers.get("transfer-encoding", "").lower():
            await self.app(scope, receive, send)
            return
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            part = message.get("body", b"")
            size += len(part)
            if size > self.max_bytes:
                await _send_error(send, 413, f"The request body is over {self.max_bytes} bytes")
                return
            parts.append(part)
            if not message.get("more_body", False):
                break
        pending: list[Message] = [{"type": "http.request", "body": b"".join(parts)}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the middleware; the last added runs first: guards, then CORS, then the body limit."""
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        streamed={"/api/import": settings.max_import_bytes},
    )
    if settings.allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[o.rstrip("/") for o in settings.allow_origins],
            allow_methods=["*"],
            allow_headers=["*"],
            max_age=600,
        )
    app.add_middleware(GuardMiddleware, settings=settings)
