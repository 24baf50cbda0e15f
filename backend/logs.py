"""Logging for `sse-chat serve`, with the launch token kept out of every record."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

#: `--log-level` choices of both `sse-chat` and `sse-chat serve` (any case accepted).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

#: A query parameter: its name (group 2) and value (group 3), as a log line shows them.
_QUERY_PARAM = re.compile(r"([?&])([^=&#\s\"']*)=([^&#\s\"']*)")
REDACTED = "[redacted]"


def _redact_token_param(match: re.Match[str]) -> str:
    # The name as the server reads it (`tok%65n` is `token`), so any spelling is redacted.
    if unquote_plus(match.group(2)).lower() != "token":
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}={REDACTED}"


def redact(text: str, token: str | None = None, *secrets: str | None) -> str:
    """`text` with any `token=` query value (its name percent-encoded or not), the token
    and every other secret replaced."""
    if "=" in text:
        text = _QUERY_PARAM.sub(_redact_token_param, text)
    for secret in (token, *secrets):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class TokenRedactingFilter(logging.Filter):
    """Rewrites a record's message so no token reaches a handler (uvicorn's access log
    prints the full path, query string included)."""

    def __init__(self, token: str | None = None, *secrets: str | None) -> None:
        super().__init__()
        self._token = token
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._token, *self._secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_ACCESS_FILTER = TokenRedactingFilter()


def redact_access_log() -> None:
    """Redact `token=` on uvicorn's access logger itself, whatever handlers it reaches."""
    logging.getLogger("uvicorn.access").addFilter(_ACCESS_FILTER)


def configure_logging(level: str, token: str | None, *secrets: str | None) -> None:
    """Root handler on stderr; every handler filters the token (and `secrets`) out."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    redactor = TokenRedactingFilter(token, *secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
