"""What a failing disk or database file means, in words a user can act on: a full disk, an
I/O error, a damaged file. `storage_failure` and `is_damage` read SQLite's errors (its
extended code where Python gives it, else its message).
"""

from __future__ import annotations

import errno
import sqlite3

DISK_FULL = (
    "The disk is full: the chat history could not be saved. Free some space, then try again."
)
DISK_IO = "The chat history could not be written (disk I/O error). Check the disk, then try again."
_SQLITE_IOERR, _SQLITE_FULL = 10, 13


def storage_failure(exc: BaseException) -> str | None:
    """A readable reason when `exc` says the disk is full or failed (SQLITE_FULL, an I/O
    error, ENOSPC); None for anything else."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        text = str(exc).lower()
        if primary == _SQLITE_FULL or "disk is full" in text:
            return DISK_FULL
        if primary == _SQLITE_IOERR or "disk i/o error" in text:
            return DISK_IO
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return DISK_FULL
    return None


_SQLITE_CORRUPT = 11

DAMAGED = (
    "The chat history file is damaged, so nothing more is written to it. Restart SSE Chat: "
    "it keeps a copy of the damaged file and recovers what can still be read."
)


def is_damage(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying a database file is damaged (not: not a database)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == _SQLITE_CORRUPT
    return "malformed" in str(exc).lower()
