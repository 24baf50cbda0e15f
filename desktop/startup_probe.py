"""Start-up timing for `bench/startup_bench.py`: `SSE_CHAT_STARTUP_PROBE=1 sse-chat ...`.

With the variable set, the app prints (stdout, one line each, wall-clock `time.time()`):

    startup-probe: window_shown=<t>      the main window's first paint
    startup-probe: window_shown_cpu=<s>  the process's CPU seconds by then (all threads)
    startup-probe: backend_ready=<t>     the backend answers (or backend_failed=<t>)
    startup-probe: backend_ready_cpu=<s> the process's CPU seconds by then
    startup-probe: idle_rss_kb=<n>       resident memory after PROBE_IDLE_MS of idling
    startup-probe: gc_enabled=<bool>     garbage collection runs again after start-up

and then quits by itself. The bench compares these with the time it spawned the process.
Without the variable nothing here runs.
"""

from __future__ import annotations

import gc
import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from desktop.views.main_window import MainWindow

PROBE_ENV = "SSE_CHAT_STARTUP_PROBE"
PROBE_IDLE_MS = 1500
PREFIX = "startup-probe:"


def enabled() -> bool:
    return os.environ.get(PROBE_ENV, "") not in ("", "0")


def rss_kb() -> int:
    """This process's resident set size (Linux `/proc`; 0 where unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _emit(name: str, value: object) -> None:
    if sys.stdout is not None:
        print(f"{PREFIX} {name}={value}", flush=True)  # noqa: T201 - the probe's output


class StartupProbe(QObject):
    def __init__(self, app: QApplication, window: MainWindow) -> None:
        super().__init__(window)
        self.app = app
        self.window = window
        self._shown = False
        window.installEventFilter(self)
        window.launcher.ready.connect(lambda *_: self._backend("backend_ready"))
        window.launcher.failed.connect(lambda *_: self._backend("backend_failed"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._shown and event.type() == QEvent.Type.Paint:
            self._shown = True
            _emit("window_shown", f"{time.time():.4f}")
            _emit("window_shown_cpu", f"{time.process_time():.4f}")
        return False

    def _backend(self, what: str) -> None:
        _emit(what, f"{time.time():.4f}")
        _emit(f"{what}_cpu", f"{time.process_time():.4f}")
        QTimer.singleShot(PROBE_IDLE_MS, self._finish)

    def _finish(self) -> None:
        _emit("idle_rss_kb", rss_kb())
        _emit("gc_enabled", gc.isenabled())
        self.window.close()


def install(app: QApplication, window: MainWindow) -> StartupProbe | None:
    """Attach the probe to `window` when `SSE_CHAT_STARTUP_PROBE` is set."""
    return StartupProbe(app, window) if enabled() else None
