"""One process per data folder: an exclusive, non-blocking lock on a file next to the database.

Without it a second instance would mark the first one's live replies `interrupted` at start-up.
The OS drops the lock when the process dies, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from backend.private_files import open_private


class AlreadyInUse(RuntimeError):
    """Another running SSE Chat holds the data folder."""


class DataLock:
    def __init__(self, handle: IO[bytes], path: Path) -> None:
        self._handle = handle
        self.path = path

    @classmethod
    def acquire(cls, path: Path) -> DataLock:
        flags = os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        handle = os.fdopen(open_private(path, flags), "r+b")  # held until release()
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise AlreadyInUse(
                f"Another SSE Chat is already using the data folder {path.parent}"
            ) from None
        return cls(handle, path)

    def release(self) -> None:
        if self._handle.closed:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
