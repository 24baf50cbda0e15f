"""Where a launch token given to `serve` or `sse-chat --connect` comes from, off the command
line: `--token-file PATH`, else `$SSE_CHAT_TOKEN`. `--token` keeps working but every other
user of the machine can read it (`ps`, `/proc/PID/cmdline`), so it comes with a warning.

No heavy imports here: `desktop/cli.py` uses it before deciding whether Qt is needed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TOKEN_ENV = "SSE_CHAT_TOKEN"
COMMAND_LINE_WARNING = (
    "warning: --token is visible to other users of this machine (ps, /proc/PID/cmdline); "
    f"set ${TOKEN_ENV} or use --token-file PATH instead"
)


class TokenError(ValueError):
    """The token cannot be read; the message says why, in plain words."""


@dataclass(frozen=True)
class GivenToken:
    """The token (None: none given) and the warnings to show about how it was given."""

    token: str | None
    warnings: tuple[str, ...] = ()


def read_token_file(path: Path) -> GivenToken:
    """The token in `path` (surrounding white space removed); warns if others may read it."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TokenError(f"cannot read the token file {path}: {reason}") from None
    token = text.strip()
    if not token:
        raise TokenError(f"the token file {path} is empty")
    if any(ch.isspace() for ch in token):
        raise TokenError(f"the token file {path} holds more than one word")
    warnings: tuple[str, ...] = ()
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        warnings = (
            f"warning: other users can read the token file {path} "
            f"(mode {stat.S_IMODE(mode):o}); chmod 600 it",
        )
    return GivenToken(token, warnings)


def given_token(
    flag: str | None, token_file: Path | None, environ: Mapping[str, str] | None = None
) -> GivenToken:
    """The token from `--token`, `--token-file` or `$SSE_CHAT_TOKEN`, in that order.

    Raises `TokenError` for `--token` together with `--token-file`, or an unusable file.
    """
    if flag is not None and token_file is not None:
        raise TokenError("give --token or --token-file, not both")
    if flag is not None:
        if not flag.strip():
            raise TokenError("--token must not be empty")
        return GivenToken(flag.strip(), (COMMAND_LINE_WARNING,))
    if token_file is not None:
        return read_token_file(token_file)
    env = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    return GivenToken(env or None)
