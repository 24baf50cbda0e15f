"""`Abort`: a stream worker's stop flag and the socket of the response it reads.

`stop()` (from the GUI thread) sets the flag and shuts the socket down, which wakes a read
blocked on a silent stream at once. `remember` is the session's response hook (a `stop()`
that came while connecting takes effect as soon as the socket is known); `forget` once the
response is closed. Used by `StreamWorker` and `ChangeWorker`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests


def socket_of(response: requests.Response) -> socket.socket | None:
    """The socket under a streamed response (urllib3 keeps the connection for streams)."""
    connection = getattr(response.raw, "connection", None) or getattr(
        response.raw, "_connection", None
    )
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


class Abort:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True if stopped (meanwhile or before)."""
        return self._event.wait(timeout)

    def stop(self) -> None:
        self._event.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A `requests` response hook: the socket `stop()` shuts down."""
        with self._lock:
            self._sock = socket_of(response)
        if self._event.is_set():  # stop() came while we were connecting
            self.stop()

    def forget(self) -> None:
        with self._lock:
            self._sock = None
