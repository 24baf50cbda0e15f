"""Paced reads of an upstream's event stream: at most one socket read per `READ_WINDOW`.

A model server sends one `chat.completion.chunk` per token or two, each flushed on its own, so
a plain client reads the socket once per chunk (at 1,000 tokens/s: 1,000 reads a second, each
going through httpx, httpcore and anyio: a cancel scope, a timeout, a `recv`), and every
read is then relayed to each subscriber as an event of its own (`backend/sse.py` merges only
what comes within 20 ms). A reader sees no difference between 10 updates a second and 1,000
(the window shows a fast stream 10 times a second too, `desktop/streams.py`), and each
update the window shows costs it a layout and a paint (at 100 tokens/s, 20 updates a second
cost the window ~40% more CPU than 10: `bench/pace_bench.py`), so the responder
reads at most once per `READ_WINDOW`: after a read that did not fill half the
buffer, the next one waits for the rest of the window, then takes everything that arrived
meanwhile in one `recv` (h11 then hands over the chunks without another read). The first read
after a quiet spell is not delayed (a slow stream shows each token as it comes), and a read
that brings a lot (a fast upstream, a backlog) is followed at once, so the pace never limits
throughput.

The wait sits under httpx: its timeouts (the read timeout counts from the read itself),
errors and cancelling are unchanged; closing the response closes the socket as before.
"""

from __future__ import annotations

import logging
import ssl
import time
import typing

import anyio
import httpcore
import httpx

log = logging.getLogger(__name__)

#: At most one read of an event stream per this many seconds (while reads come back small):
#: a token waits at most this long, 10 reads a second whatever the model's pace.
READ_WINDOW = 0.1


class PacedStream(httpcore.AsyncNetworkStream):
    """A network stream whose reads are paced (see the module's docstring)."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, window: float) -> None:
        self._stream = stream
        self._window = window
        self._next_read = 0.0  # time.monotonic() before which a read waits

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        wait = self._next_read - time.monotonic()
        if wait > 0:
            await anyio.sleep(wait)
        data = await self._stream.read(max_bytes, timeout)
        small = len(data) < max_bytes // 2
        self._next_read = time.monotonic() + self._window if small and data else 0.0
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return PacedStream(tls, self._window)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class PacedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, its streams paced."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, window: float) -> None:
        self._backend = backend
        self._window = window

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return PacedStream(stream, self._window)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(path, timeout, socket_options)
        return PacedStream(stream, self._window)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def paced_transport(window: float = READ_WINDOW) -> httpx.AsyncHTTPTransport:
    """httpx's default transport, its reads paced by `window` seconds.

    httpx does not take a network backend, so it is put into the transport's connection pool
    (before any connection is made). Should a new httpx lay its pool out otherwise, the
    transport stays as it is (unpaced, merely costlier) and a warning says so.
    """
    transport = httpx.AsyncHTTPTransport()
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and backend is not None:
        pool._network_backend = PacedBackend(backend, window)
    else:  # pragma: no cover - another httpx
        log.warning("httpx's transport has no network backend to pace; reading unpaced")
    return transport
