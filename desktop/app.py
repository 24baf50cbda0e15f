"""The Qt application: set up, show the window, run, and shut down cleanly."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication

from desktop import __version__, startup_probe
from desktop.provider_settings import ProviderStore
from desktop.resources import app_icon
from desktop.settings import APPLICATION, ORGANIZATION, UiSettings
from desktop.theme import apply_theme
from desktop.views.main_window import MainWindow
from desktop.workers import LaunchConfig

log = logging.getLogger(__name__)


def launch_config(
    data_dir: Path | None = None,
    echo_delay: float | None = None,
    connect_url: str | None = None,
    token: str = "",
) -> LaunchConfig:
    """What the window should talk to: a remote `connect_url`, else an embedded server."""
    if connect_url:
        return LaunchConfig(connect_url=connect_url, token=token)
    from backend.config import WINDOW_MAX_CONNECTIONS, Settings

    # 127.0.0.1, port 0, a fresh token; the window opens a handful of connections
    settings = Settings(max_connections=WINDOW_MAX_CONNECTIONS)
    if data_dir is not None:
        settings = replace(settings, data_dir=data_dir.expanduser())
    if echo_delay is not None:
        settings = replace(settings, echo_delay=echo_delay)
    return LaunchConfig(settings=settings)


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName("SSE Chat")
    app.setDesktopFileName("sse-chat")  # Wayland app id: matches resources/sse-chat.desktop
    app.setWindowIcon(app_icon())
    apply_theme(app, "system")
    return app


def run(config: LaunchConfig, settings: UiSettings | None = None) -> int:
    """Show the window, start the backend behind it, and run until the window closes."""
    app = create_application()
    settings = settings if settings is not None else UiSettings()
    apply_theme(app, ProviderStore(settings.store).theme)  # the Settings dialog's choice
    window = MainWindow(config, settings)
    startup_probe.install(app, window)
    window.show()
    QTimer.singleShot(0, window.start)  # the window paints first; the backend follows
    app.aboutToQuit.connect(window.shutdown)
    code = app.exec()
    window.shutdown()
    # widgets must go before the QApplication does, or PySide6 may abort at exit
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    log.info("exited with %d", code)
    return int(code)
