"""The uvicorn server the CLI and `EmbeddedServer` run: quiet about tokens, drains streams."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI
from uvicorn.server import HANDLED_SIGNALS

from backend.app import begin_shutdown
from backend.config import Settings
from backend.http_protocol import ChatConfig, GuardedH11Protocol
from backend.logs import redact_access_log

#: After this long, connections still open at shutdown are cancelled.
GRACEFUL_SHUTDOWN_SECONDS = 3
BACKLOG = 2048
#: Seconds a kept-alive connection may wait for its next request (uvicorn's default).
KEEP_ALIVE_SECONDS = 5
#: A request head (line and headers) larger than this is refused (h11's default, made explicit).
MAX_REQUEST_HEAD_BYTES = 16 * 1024
#: The soft open-file limit is raised toward the hard one, up to this.
MAX_OPEN_FILES = 1 << 16
#: Open files left for everything but connections.
FILES_KEPT_FREE = 64

logger = logging.getLogger(__name__)


def make_config(
    app: FastAPI, settings: Settings, *, access_log: bool, log_level: str | None = None
) -> uvicorn.Config:
    """A uvicorn config that never touches logging configuration (`log_config=None`), with
    the connection limits of `settings` (`backend.http_protocol`).

    Even with `access_log=False` uvicorn logs access lines once *any* handler is attached to
    `uvicorn.access`, so the access logger always redacts `token=` query values.
    """
    redact_access_log()
    return ChatConfig(
        app,
        log_config=None,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        loop="asyncio",
        http=GuardedH11Protocol,
        ws="none",
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        limit_concurrency=connection_limit(settings.max_connections),
        header_timeout=settings.header_timeout,
    )


def raise_open_file_limit() -> int:
    """Raise this process's soft limit of open files toward its hard limit (a desktop's
    soft 1,024 let a flood of connections lock the server out); the soft limit now."""
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return 1 << 16
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    wanted = min(wanted, MAX_OPEN_FILES)
    while soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            logger.info("Open file limit raised from %d to %d", soft, wanted)
            return wanted
        except (OSError, ValueError):  # macOS refuses more than kern.maxfilesperproc
            wanted //= 2
    return soft


def connection_limit(wanted: int) -> int:
    """`wanted` connections, fewer if the open file limit would not leave room for them
    (and for the database, the log and the other files the app needs)."""
    return max(8, min(wanted, raise_open_file_limit() - FILES_KEPT_FREE))


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; RuntimeError with a plain reason if the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say so, and accepted ones inherit it. With Nagle on, a response written as head then
    # body waited for the client's delayed ACK: ~40 ms per request, and SSE deltas batched.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if hasattr(socket, "SO_REUSEADDR") and socket.SO_REUSEADDR:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)  # connections queue from now on, even before uvicorn runs
        sock.set_inheritable(False)
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


class ChatServer(uvicorn.Server):
    """`uvicorn.Server` that ends open event streams before draining connections.

    `handle_signals=False` (embedded use) leaves the process's signal handlers alone; uvicorn
    already skips them off the main thread, this makes it explicit.
    """

    def __init__(self, config: uvicorn.Config, app: FastAPI, *, handle_signals: bool) -> None:
        super().__init__(config)
        self._app = app
        self._handle_signals = handle_signals
        self.started_event = threading.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Ctrl+C / SIGTERM ask for a clean shutdown; unlike uvicorn's own version the signal
        is not re-raised afterwards, so the process exits normally (status 0)."""
        if not self._handle_signals or threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.started_event.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        begin_shutdown(self._app)
        await super().shutdown(sockets=sockets)
