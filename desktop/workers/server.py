"""Where the window's backend comes from: the embedded server, or one already running.

`BackendLauncher.start()` returns at once; `ready(base_url, token)` or
`failed(reason)` follows on the GUI thread, and `notice(text)` if the embedded backend
found its chat history damaged (what it kept and recovered). `stop()` stops an embedded
server (and waits for a start still in progress); call it when the window closes.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

from desktop.client_errors import ApiError

if TYPE_CHECKING:
    from backend.config import Settings
    from backend.embedded import EmbeddedServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LaunchConfig:
    """Either `settings` for an embedded server, or `connect_url` + `token`."""

    settings: Settings | None = None
    connect_url: str | None = None
    token: str = ""


#: Seconds between looks at the start-up check of the history (it may take a while).
_NOTICE_POLL_S = 0.2


class _StartThread(QThread):
    ready = Signal(str, str)
    failed = Signal(str)
    notice = Signal(str)

    def __init__(self, config: LaunchConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backend-start")
        self.config = config
        self.server: EmbeddedServer | None = None

    def run(self) -> None:
        if self.config.connect_url:
            self._check_remote(self.config.connect_url, self.config.token)
            return
        try:
            from backend.config import Settings
            from backend.embedded import EmbeddedServer

            self.server = EmbeddedServer(self.config.settings or Settings())
            self.server.start(timeout=10.0)
            import desktop.client  # noqa: F401 - here, not on the GUI thread when it is ready
        except Exception as exc:  # the reason is shown to the user, plainly
            log.warning("embedded backend failed to start: %s", exc)
            reason = str(exc) or type(exc).__name__
            self.failed.emit(f"The chat backend could not start: {reason}")
            return
        self.ready.emit(self.server.base_url, self.server.token)
        # The history's check runs on in the backend (writes wait for it); say what it found.
        while not self.isInterruptionRequested():
            if self.server.wait_checked(_NOTICE_POLL_S):
                text = self.server.notice(timeout=0)
                if text:
                    self.notice.emit(text)
                return

    def _check_remote(self, url: str, token: str) -> None:
        from desktop.client import ChatClient  # on this thread: the GUI starts without it

        client = ChatClient(url, token)
        try:
            client.health()
            client.list_conversations()  # proves the token, too
        except ApiError as exc:
            self.failed.emit(f"Cannot use the backend at {url}: {exc.message}")
            return
        finally:
            client.close()
        self.ready.emit(url, token)


#: How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms).
#: A GUI pass that enters Python N times while the server is busy waits up to N times this.
#: Stream bench, 200 KB at full speed, worst heartbeat lateness: 70-85 ms with 1 ms; with
#: 0.3 ms and the turn's message widgets made ahead (`SpareMessages`), 19-43 ms in 18 runs
#: (0.5 ms: up to 85), for a throughput ratio of 0.68-0.81 instead of 0.86-0.91 (the GUI
#: takes its share sooner). An idle GUI asks for nothing: the server then runs unhindered.
GIL_SWITCH_S = 0.0003


def share_interpreter_finely() -> None:
    """The GUI thread shares the interpreter with the embedded server and the stream
    workers. Each call from Qt into Python (an event handler, a slot, a timer) must take
    the GIL back, and with the default switch interval a busy server thread can hold it
    5 ms each time: enough to stall a frame. A shorter interval keeps the window smooth."""
    if sys.getswitchinterval() > GIL_SWITCH_S:
        sys.setswitchinterval(GIL_SWITCH_S)


class BackendLauncher(QObject):
    ready = Signal(str, str)
    failed = Signal(str)
    notice = Signal(str)

    def __init__(self, config: LaunchConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self._thread: _StartThread | None = None

    @property
    def server(self) -> EmbeddedServer | None:
        return self._thread.server if self._thread is not None else None

    def start(self) -> None:
        if self._thread is not None:
            return
        share_interpreter_finely()
        self._thread = _StartThread(self.config, self)
        self._thread.ready.connect(self.ready)
        self._thread.failed.connect(self.failed)
        self._thread.notice.connect(self.notice)
        self._thread.start()

    def stop(self) -> None:
        """Stop the embedded server, if this launcher started one (idempotent)."""
        thread = self._thread
        if thread is None:
            return
        thread.requestInterruption()  # no more waiting for the history's check
        thread.wait()  # a start in progress ends within its own timeout
        server, thread.server = thread.server, None
        if server is not None:
            try:
                server.stop(timeout=5.0)
            except Exception:
                log.exception("stopping the embedded backend failed")
