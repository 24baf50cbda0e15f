"""`EmbeddedServer`: the backend on a daemon thread, on loopback, on a free port.

with EmbeddedServer(Settings(data_dir=folder)) as server:
    requests.get(f"{server.base_url}/api/conversations",
                 headers={"Authorization": f"Bearer {server.token}"})
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType

from fastapi import FastAPI

from backend.app import create_app
from backend.config import Settings
from backend.responders import Responder
from backend.server import ChatServer, bind_socket, make_config

logger = logging.getLogger(__name__)


class EmbeddedServer:
    """Start with `start()`, stop with `stop()` (idempotent), or use as a context manager."""

    def __init__(
        self, settings: Settings | None = None, responder: Responder | None = None
    ) -> None:
        """`responder` defaults to the echo responder paced by `settings.echo_delay`."""
        self.settings = settings or Settings()
        self._responder = responder
        self._server: ChatServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._failure: BaseException | None = None
        self._app: FastAPI | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("The server is not started")
        return self._port

    @property
    def base_url(self) -> str:
        host = self.settings.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def token(self) -> str:
        return self.settings.token

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._server is not None

    def start(self, timeout: float = 10.0) -> None:
        """Block until the server accepts requests; RuntimeError with the reason if it can't."""
        if self._thread is not None:
            raise RuntimeError("The server was already started")
        self._socket = bind_socket(self.settings.host, self.settings.port)
        self._port = int(self._socket.getsockname()[1])
        try:
            app = create_app(self.settings, self._responder)
        except BaseException:  # e.g. InvalidProviderSettings
            self._close_socket()
            raise
        config = make_config(app, self.settings, access_log=False)
        server = ChatServer(config, app, handle_signals=False)
        self._server, self._app = server, app
        self._thread = threading.Thread(
            target=self._serve, args=(server, self._socket), name="sse-chat-server", daemon=True
        )
        self._thread.start()
        if not server.started_event.wait(timeout):
            self.stop()
            raise RuntimeError(f"The server did not start within {timeout:g} seconds")
        if not server.started:
            self._thread.join(timeout)
            reason = app.state.startup_error or (
                f"the server stopped during start-up ({self._failure!r})"
                if self._failure is not None
                else "the server stopped during start-up"
            )
            self._close_socket()
            self._thread = None
            self._server = None
            raise RuntimeError(reason)
        logger.info("Embedded server listening on %s", self.base_url)

    def wait_checked(self, timeout: float | None = None) -> bool:
        """(Any thread.) Whether the chat history's start-up check (and any recovery) is
        over, waiting up to `timeout` seconds for it; False while the server is not running."""
        services = getattr(self._app.state, "services", None) if self._app else None
        return services is not None and bool(services.store.wait_checked(timeout))

    def notice(self, timeout: float | None = None) -> str | None:
        """(Any thread.) What the start-up found wrong with the chat history and did about
        it (a damaged file kept aside, what was recovered), once its check is over; None
        when all is well, or when the check is still running after `timeout` seconds."""
        if not self.wait_checked(timeout):
            return None
        assert self._app is not None
        notice: str | None = self._app.state.services.store.notice
        return notice

    def _serve(self, server: ChatServer, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit on a start-up failure, anything else
            self._failure = exc
            if not isinstance(exc, SystemExit):
                logger.exception("The embedded server failed")
        finally:
            server.started_event.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, end open streams, finish the store's writes. Idempotent."""
        server, thread = self._server, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("The server did not stop within %g s; forcing it", timeout)
                server.force_exit = True
                thread.join(timeout)
        self._server = None
        self._thread = None
        self._close_socket()

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
