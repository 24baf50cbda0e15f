"""The built-in web page (PROTOCOL.md section 12): `GET /`, its files under `/app/`, and the
security headers every answer carries.

The page and its files hold no data, so they need no token (the page asks for it and sends it
with every API call). Every answer gets a `Content-Security-Policy` that allows scripts, styles,
images, fonts and connections from the server's own origin only (no inline script, no
plugins, no framing, no `<base>`), `X-Content-Type-Options: nosniff` and
`Referrer-Policy: no-referrer` (the token in the page's address must not leak).
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from backend.asgi import HttpMiddleware

STATIC_DIR = Path(__file__).with_name("static")
INDEX = STATIC_DIR / "index.html"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

# The types the page's files are served with: with `nosniff` a module script must be
# JavaScript by its Content-Type, whatever the system's mime.types says.
for _suffix, _type in (
    (".js", "text/javascript"),
    (".css", "text/css"),
    (".html", "text/html"),
    (".svg", "image/svg+xml"),
    (".woff2", "font/woff2"),
    (".json", "application/json"),
    (".md", "text/markdown"),
):
    mimetypes.add_type(_type, _suffix)


class SecurityHeadersMiddleware(HttpMiddleware):
    """Adds `SECURITY_HEADERS` to every HTTP answer (those a route already set win)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PageFiles(StaticFiles):
    """`/app/*`: the page's files, revalidated on every load (`no-cache` + ETag).

    Whole files only: a `Range` header is ignored (they are small), so a malformed one cannot
    get a plain-text 400 instead of an error in the API's shape.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]
            scope = {**scope, "headers": headers}
        await super().__call__(scope, receive, send)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


async def index() -> Response:
    """The page (read per request: it is small, and a rebuilt one is served at once)."""
    return Response(
        INDEX.read_bytes(),
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def install_web(app: FastAPI) -> None:
    """`GET /` (the page), `/app/*` (its files), and the headers on every answer.

    Call after the other middleware is added: the headers middleware then runs first, so
    the guards' own `403` answers carry the headers too.
    """
    app.add_api_route("/", index, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/app", PageFiles(directory=STATIC_DIR), name="app")
    app.add_middleware(SecurityHeadersMiddleware)
