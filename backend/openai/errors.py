"""Failures talking to an OpenAI-compatible server, as one exception with a plain-words
`detail`: `UpstreamError` (a `ResponderError`), and the functions that map HTTP answers,
httpx exceptions and malformed stream chunks to it (used by `backend.openai.upstream`).

Error bodies come in many shapes (`error_message` knows them); every URL shown has its
`user:password@` part removed, and every quoted body is clipped. An upstream may be hostile:
every `detail` is plain text of at most `MAX_DETAIL_CHARS` characters without control or
format characters (`plain_text`), whatever the upstream sent.
"""

from __future__ import annotations

import errno
import json
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from backend.responders import ResponderError

if TYPE_CHECKING:
    import httpx

_MAX_SHOWN = 300  # characters of an upstream body quoted in an error detail
#: The longest `detail` an upstream failure gives (stored as a failed reply's `error`).
MAX_DETAIL_CHARS = 500
_SPACES = frozenset(("Zl", "Zp"))  # line and paragraph separators


def plain_text(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """`text` as one plain line: control characters (C0, DEL, C1) and separators become
    spaces, format characters (bidi overrides, zero-width, BOM) go, runs of white space
    are one space, and it is cut to `limit` characters (the last one then `…`)."""
    text = text[: limit * 4]  # enough to fill `limit` after cleaning; never scan megabytes
    kept: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" or category in _SPACES:
            kept.append(" ")
        elif category != "Cf":
            kept.append(char)
    cleaned = " ".join("".join(kept).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


_CONNECTION_REFUSED = {errno.ECONNREFUSED, 10061}  # 10061: WSAECONNREFUSED on Windows


class UpstreamError(ResponderError):
    """Talking to the upstream server failed; `detail` says why, in plain words.

    `status` is the upstream HTTP status when there was one, `code` a short machine
    name (`connection_refused`, `timeout`, `unauthorized`, `not_found`, `rate_limited`,
    `server_error`, `bad_request`, `malformed`, `upstream_error`) and `retry_after` the
    upstream's `Retry-After` header (seconds or an HTTP date), if any.
    """

    def __init__(
        self,
        detail: str,
        *,
        code: str = "upstream_error",
        status: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(plain_text(detail), code=code)
        self.status = status
        self.retry_after = retry_after


def shown_url(base_url: str) -> str:
    """`base_url` without any `user:password@` part, for messages and logs."""
    import httpx  # here: the backend starts without httpx (see `backend.providers`)

    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        return base_url
    return str(url.copy_with(userinfo=b"")) if url.userinfo else base_url


def clip(text: str) -> str:
    """An upstream's text quoted in a detail: plain (see `plain_text`), at most 300 chars."""
    return plain_text(text, _MAX_SHOWN)


def error_message(body: Any) -> str | None:
    """The human part of an error body in any of the shapes servers use.

    OpenAI, Ollama /v1, vLLM (new), llama.cpp: `{"error": {"message": ...}}`;
    Ollama native and LM Studio: `{"error": "..."}`; vLLM (old):
    `{"object": "error", "message": ...}`; FastAPI-based servers: `{"detail": ...}`.
    """
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, Mapping):
        message = error.get("message")
        return str(message) if message else json.dumps(error)[:_MAX_SHOWN]
    if isinstance(error, str) and error:
        return error
    if body.get("object") == "error" and body.get("message"):
        return str(body["message"])
    if "detail" in body:
        detail = body["detail"]
        return detail if isinstance(detail, str) else json.dumps(detail)[:_MAX_SHOWN]
    return None


def _body_message(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    try:
        message = error_message(json.loads(text))
    except ValueError:
        message = None
    return clip(message if message is not None else text)


def status_error(
    response: httpx.Response,
    base_url: str,
    *,
    model: str | None = None,
    body: bytes | None = None,
) -> UpstreamError:
    """Map a redirect or error answer (status >= 300) to an UpstreamError; `body` is (the
    start of) its body, else `response.content` (then read in full)."""
    status = response.status_code
    reason = f"{status} {response.reason_phrase}".strip()
    message = _body_message(response.content if body is None else body)
    said = f": {message}" if message else ""
    where = shown_url(base_url)
    if status < 400:
        location = response.headers.get("location", "another address")
        return UpstreamError(
            f"{where} redirected the request ({reason}) to {location}; "
            "use that address as the base URL",
            code="bad_url",
            status=status,
        )
    if status in (401, 403):
        verb = "rejected the API key" if status == 401 else "refused access"
        return UpstreamError(
            f"{where} {verb} ({reason}){said}. Check the API key in Settings.",
            code="unauthorized",
            status=status,
        )
    if status == 404:
        what = f"the model '{model}' or " if model else ""
        return UpstreamError(
            f"{where} answered {reason} for {response.request.url.path}{said}. "
            f"Check {what}the base URL (it usually ends in /v1).",
            code="not_found",
            status=status,
        )
    if status == 429:
        retry_after = response.headers.get("retry-after")
        wait = f"; retry after {retry_after} s" if retry_after else ""
        return UpstreamError(
            f"{where} is rate limiting requests ({reason}{wait}){said}",
            code="rate_limited",
            status=status,
            retry_after=retry_after,
        )
    if status >= 500:
        return UpstreamError(
            f"{where} failed with {reason}{said}", code="server_error", status=status
        )
    return UpstreamError(
        f"{where} rejected the request ({reason}){said}", code="bad_request", status=status
    )


def _is_refused(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return True
        if isinstance(current, OSError) and current.errno in _CONNECTION_REFUSED:
            return True
        current = current.__cause__ or current.__context__
    return "refused" in str(exc).lower()


def transport_error(
    exc: httpx.HTTPError, base_url: str, connect_timeout: float, read_timeout: float
) -> UpstreamError:
    """Map an httpx exception (no HTTP answer, or one cut short) to an UpstreamError."""
    import httpx

    where = shown_url(base_url)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return UpstreamError(
            f"Cannot reach {where}: no connection within {connect_timeout:g} s (connect timeout)",
            code="timeout",
        )
    if isinstance(exc, httpx.ReadTimeout):
        return UpstreamError(
            f"{where} stopped responding: nothing received for {read_timeout:g} s (read timeout)",
            code="timeout",
        )
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError(f"Timed out talking to {where} ({exc})", code="timeout")
    if isinstance(exc, httpx.ConnectError):
        if _is_refused(exc):
            return UpstreamError(
                f"Cannot reach {where}: connection refused — is the server running?",
                code="connection_refused",
            )
        return UpstreamError(
            f"Cannot reach {where}: {exc or 'connection failed'}", code="connection_failed"
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return UpstreamError(
            f"Invalid base URL {where!r}: it must start with http:// or https:// "
            "(for example http://localhost:11434/v1)",
            code="bad_url",
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return UpstreamError(
            f"{where} closed the connection in the middle of the answer ({exc})",
            code="connection_lost",
        )
    return UpstreamError(
        f"Request to {where} failed: {type(exc).__name__}: {exc}", code="connection_failed"
    )


def malformed(base_url: str, what: str, data: str) -> UpstreamError:
    return UpstreamError(
        f"{shown_url(base_url)} sent a malformed stream chunk ({what}): {clip(data)!r}",
        code="malformed",
    )
