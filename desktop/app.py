"""The Qt application: set up, build the window from its parts, run, and shut down cleanly."""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication

from desktop import __version__, qt_messages, startup_probe
from desktop.controller import ChatController
from desktop.prefs.provider import ProviderStore
from desktop.prefs.sync import ProviderSettingsManager
from desktop.prefs.ui import APPLICATION, ORGANIZATION, UiSettings
from desktop.render.highlight import start_warm_up
from desktop.resources import app_icon
from desktop.theme import apply_theme
from desktop.views.about import data_folder_of
from desktop.views.main_window import MainWindow, WindowParts
from desktop.workers import BackendLauncher, LaunchConfig

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
    qt_messages.install()
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName("SSE Chat")
    app.setDesktopFileName("sse-chat")  # Wayland app id: matches resources/sse-chat.desktop
    app.setWindowIcon(app_icon())
    apply_theme(app, "system")
    return app


def build_parts(launch: LaunchConfig, settings: UiSettings | None = None) -> WindowParts:
    """The window's parts, connected to each other (the window connects itself to them):
    once the backend is ready the controller and the provider settings get their client."""
    ui = settings if settings is not None else UiSettings()
    controller = ChatController()
    parts = WindowParts(
        ui_settings=ui,
        launcher=BackendLauncher(launch),
        controller=controller,
        provider_settings=ProviderSettingsManager(ProviderStore(ui.store), controller.runner),
        data_dir=data_folder_of(launch),
    )
    parts.launcher.ready.connect(lambda url, token: _backend_ready(parts, url, token))
    controller.current_changed.connect(lambda cid: _remember(ui, cid))
    return parts


def build_window(launch: LaunchConfig, settings: UiSettings | None = None) -> MainWindow:
    """A `MainWindow` on its parts (not shown, backend not started: `show()`, `start()`)."""
    return MainWindow(build_parts(launch, settings))


def _remember(ui: UiSettings, cid: str) -> None:
    if cid:
        ui.last_conversation = cid  # reopened at the next start


def startup_over() -> None:
    """Start-up is over (the backend answered, or failed): what it made lives as long as
    the window. Frozen, those objects are no longer scanned by each full garbage
    collection (one took ~50 ms on the GUI thread in the middle of a streaming reply);
    reference counting still frees them. Collections, held off while the app and the
    backend import themselves (`desktop.cli`: their imports make many objects and next to
    no cyclic garbage, and collecting cost about a tenth of their CPU), run again."""
    gc.freeze()
    gc.enable()


def _backend_ready(parts: WindowParts, base_url: str, token: str) -> None:
    if parts.controller.closed:  # the window closed while the backend started
        return
    startup_over()
    start_warm_up()  # code highlighting's lexers, on a background thread
    from desktop.client import ChatClient  # `requests` with it: after the first paint

    client = ChatClient(base_url, token)
    parts.controller.attach(client, parts.ui_settings.last_conversation)
    parts.provider_settings.load_key(only_if_saved=True)  # off the GUI thread
    parts.provider_settings.attach(client)  # the saved provider settings, also in --connect


def run(config: LaunchConfig, settings: UiSettings | None = None) -> int:
    """Show the window, start the backend behind it, and run until the window closes."""
    app = create_application()
    settings = settings if settings is not None else UiSettings()
    apply_theme(app, settings.theme)  # the Settings dialog's choice
    window = build_window(config, settings)
    startup_probe.install(app, window)
    window.show()
    QTimer.singleShot(0, window.start)  # the window paints first; the backend follows
    window.launcher.failed.connect(startup_over)
    app.aboutToQuit.connect(window.shutdown)
    try:
        code = app.exec()
    finally:
        gc.enable()
    window.shutdown()
    # widgets must go before the QApplication does, or PySide6 may abort at exit
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    log.info("exited with %d", code)
    return int(code)
