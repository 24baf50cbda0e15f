"""Watch a file for being opened, by any thread of this process or another (Linux inotify).

    with OpenWatch(path) as watch:
        ...  # the code under test
        assert watch.opens() == 0

Qt reads image files from C++, out of reach of Python's audit hooks; inotify sees every
`open()` of the file, whoever makes it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
from pathlib import Path
from types import TracebackType

IN_ACCESS = 0x001
IN_OPEN = 0x020
IN_NONBLOCK = 0o4000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len (then `len` bytes of name)


class OpenWatch:
    """Counts the opens (and reads) of one file while it is entered."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._events: list[int] = []

    def __enter__(self) -> OpenWatch:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._fd = libc.inotify_init1(IN_NONBLOCK)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        wd = libc.inotify_add_watch(self._fd, os.fsencode(self.path), IN_OPEN | IN_ACCESS)
        if wd < 0:
            os.close(self._fd)
            raise OSError(ctypes.get_errno(), f"inotify_add_watch({self.path}) failed")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        os.close(self._fd)

    def opens(self) -> int:
        """How many times the file was opened (or read) so far."""
        while select.select([self._fd], [], [], 0)[0]:
            try:
                data = os.read(self._fd, 4096)
            except BlockingIOError:
                break
            offset = 0
            while offset + _EVENT.size <= len(data):
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                self._events.append(mask)
                offset += _EVENT.size + length
        return len(self._events)
