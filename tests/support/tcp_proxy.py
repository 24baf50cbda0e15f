"""The base of the loopback TCP proxies that tests put between a client and a backend.

A proxy listens on a free port of 127.0.0.1 and, for each accepted client, opens a
connection to 127.0.0.1:`upstream_port`. The `Host` header the client sends (the proxy's
address) is rewritten to the upstream's, so the backend's DNS-rebinding guard accepts the
requests. How the bytes of a connection are relayed (and whether they are counted, cut or
dropped) is up to the subclass, in `_handle`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

#: Bytes read from a socket at a time.
CHUNK = 65536


def shut(*socks: socket.socket, close: bool = True) -> None:
    """Shut both directions of each socket (and close it unless `close` is False).

    Socket errors (already shut, already closed) are ignored.
    """
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        if close:
            with contextlib.suppress(OSError):
                sock.close()


class LoopbackProxy:
    """A TCP proxy on 127.0.0.1 to a local upstream port; see the module docstring.

    It starts listening (and accepting, on a daemon thread) when made. Every accepted
    client and its upstream socket are kept in `connections` until `drop()` or `close()`.
    If the upstream refuses, the client is closed and the proxy keeps accepting.
    """

    #: The name of the accepting thread.
    accept_thread_name = "loopback-proxy"

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.connections: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._start_accepting()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rewrite_host(self, data: bytes) -> bytes:
        """`data` with the proxy's `Host` header replaced by the upstream's."""
        old = f"Host: 127.0.0.1:{self.port}".encode()
        new = f"Host: 127.0.0.1:{self.upstream_port}".encode()
        return data.replace(old, new)

    def _start_accepting(self) -> None:
        self._closed = False
        self._accepter = threading.Thread(
            target=self._accept, name=self.accept_thread_name, daemon=True
        )
        self._accepter.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections.append((client, upstream))
            self._handle(client, upstream)

    def _handle(self, client: socket.socket, upstream: socket.socket) -> None:
        """Relay a new connection. Runs on the accepting thread, so it must not block:
        start the threads that do the relaying."""
        raise NotImplementedError

    def relay(
        self,
        src: socket.socket,
        dst: socket.socket,
        *,
        rewrite: bool,
        observe: Callable[[bytes], None] | None = None,
    ) -> None:
        """Forward bytes from `src` to `dst` until `src` ends or either socket fails.

        `observe` sees each chunk as it was received; `rewrite` applies `rewrite_host`
        before sending (for the client-to-upstream direction). Neither socket is shut here.
        """
        try:
            while True:
                data = src.recv(CHUNK)
                if not data:
                    return
                if observe is not None:
                    observe(data)
                dst.sendall(self.rewrite_host(data) if rewrite else data)
        except OSError:
            pass

    def drop(self) -> None:
        """Cut every open connection, both the client's and the upstream's end."""
        with self._lock:
            connections, self.connections = self.connections, []
        for pair in connections:
            shut(*pair)

    def stop_listening(self) -> None:
        """Stop accepting new connections (open ones are left alone)."""
        self._closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        self._accepter.join(5)

    def close(self) -> None:
        """Stop listening and cut every open connection."""
        self.stop_listening()
        self.drop()


class ControlledProxy(LoopbackProxy):
    """A loopback TCP proxy the test controls; `drop()` cuts every open connection.

    `close()` stops listening too (the backend looks gone), `reopen()` listens again on
    the same port. It rewrites the `Host` header to the upstream's so the backend's
    DNS-rebinding guard accepts the requests. `event_requests` counts the client's
    chunks that carry a `GET` of a reply's event stream (not the change stream).
    """

    def __init__(self, upstream_port: int) -> None:
        self.event_requests = 0
        super().__init__(upstream_port)

    def _handle(self, client: socket.socket, upstream: socket.socket) -> None:
        threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        try:
            self.relay(src, dst, rewrite=outbound, observe=self._count if outbound else None)
        finally:
            shut(src, dst, close=False)  # `drop()` and `close()` close them

    def _count(self, data: bytes) -> None:
        if b"/events" in data and b"GET /api/messages/" in data:
            with self._lock:
                self.event_requests += 1

    def reopen(self) -> None:
        """Listen again on the same port: the backend is back."""
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self._start_accepting()
