"""Logging for `sse-chat serve`, with the launch token kept out of every record."""

from __future__ import annotations

import logging
import re

_TOKEN_PARAM = re.compile(r"([?&]token=)[^&#\s\"']*", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str, token: str | None = None) -> str:
    """`text` with any `token=` query value, and the token itself, replaced."""
    text = _TOKEN_PARAM.sub(r"\1" + REDACTED, text)
    if token:
        text = text.replace(token, REDACTED)
    return text


class TokenRedactingFilter(logging.Filter):
    """Rewrites a record's message so no token reaches a handler (uvicorn's access log
    prints the full path, query string included)."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._token)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_ACCESS_FILTER = TokenRedactingFilter()


def redact_access_log() -> None:
    """Redact `token=` on uvicorn's access logger itself, whatever handlers it reaches."""
    logging.getLogger("uvicorn.access").addFilter(_ACCESS_FILTER)


def configure_logging(level: str, token: str | None) -> None:
    """Root handler on stderr; every handler filters tokens out."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    redactor = TokenRedactingFilter(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
