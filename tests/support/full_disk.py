"""A full disk, two ways: a small tmpfs (as root, where `mount` works), or - always possible -
the real `Store`'s writes raising what SQLite raises on a full disk,
`sqlite3.OperationalError("database or disk is full")`, while switched on.

The backend under test runs in this process (`EmbeddedServer`), so patching `Store`'s write
methods reaches it; reads keep working, as they do on a real full disk.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.store import Store

#: Every `Store` method that writes.
WRITES = (
    "create_conversation",
    "rename_conversation",
    "delete_conversation",
    "update_conversation",
    "add_turn",
    "add_edit",
    "add_regeneration",
    "set_head",
    "delete_message",
    "save_parts",
    "finish_parts",
)

FULL = "database or disk is full"


class RaisingDisk:
    """While `full`, the chosen `Store` writes raise SQLite's disk-full error.

    `fail_next(name, n)` makes only the next `n` calls of one method fail (then it works).
    `calls` counts the failed calls per method.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, methods: tuple[str, ...] = WRITES):
        self.full = False
        self.calls: dict[str, int] = {}
        self._budget: dict[str, int] = {}
        self._lock = threading.Lock()
        for name in methods:
            monkeypatch.setattr(Store, name, self._wrap(name, getattr(Store, name)))

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def write(store: Store, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                failing = self.full or self._budget.get(name, 0) > 0
                if failing:
                    self._budget[name] = max(0, self._budget.get(name, 0) - 1)
                    self.calls[name] = self.calls.get(name, 0) + 1
            if failing:
                raise sqlite3.OperationalError(FULL)
            return method(store, *args, **kwargs)

        return write

    def fail_next(self, name: str, times: int) -> None:
        with self._lock:
            self._budget[name] = times

    def failed(self, name: str) -> int:
        with self._lock:
            return self.calls.get(name, 0)


class Tmpfs:
    """A tmpfs of `size` bytes mounted at `path`, and a filler file to take its free space."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def free(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def fill_to(self, free_bytes: int) -> None:
        """Grow the filler until at most `free_bytes` (rounded to pages) are left."""
        with open(self.filler, "ab") as handle:
            while (room := self.free() - free_bytes) > 0:
                try:
                    handle.write(b"\0" * min(room, 1 << 16))
                    handle.flush()
                except OSError:
                    break

    def empty(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.filler.unlink()


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Tmpfs | None]:
    """Mount a tmpfs of `size` (e.g. "2m") at `path`; None where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        mounted = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                capture_output=True,
                timeout=10,
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        mounted = False
    if not mounted:
        yield None
        return
    try:
        yield Tmpfs(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=10)


def stored_as(db: Path, message_id: str) -> tuple[str, str] | None:
    """(status, content) of a message as the database file holds it now, read by a
    connection of its own (read-only; WAL lets it read beside the running server)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT status, content FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
    finally:
        conn.close()
    return None if row is None else (str(row[0]), str(row[1]))
