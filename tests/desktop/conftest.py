"""Fixtures for the desktop tests: offscreen Qt, isolated QSettings, the real backend."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backends import fail  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QThread  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from backend.config import Settings  # noqa: E402
from backend.embedded import EmbeddedServer  # noqa: E402
from desktop.app import build_window  # noqa: E402
from desktop.client import ChatClient  # noqa: E402
from desktop.prefs.ui import UiSettings  # noqa: E402
from desktop.views.main_window import MainWindow  # noqa: E402
from desktop.workers import LaunchConfig  # noqa: E402
from tests.support.settings_dialog import MemoryKeyring  # noqa: E402
from tests.support.tcp_proxy import ControlledProxy  # noqa: E402
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory  # noqa: E402


@pytest.fixture(autouse=True)
def _no_real_settings(tmp_path: Path) -> None:
    """Even a default `QSettings` lands in the test's folder, never the user's."""
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture
def ui_settings(tmp_path: Path) -> UiSettings:
    """QSettings in a file of this test's own: never the user's real settings."""
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


def _assert_stopped(window: MainWindow) -> None:
    running = [w for w in window.findChildren(QThread) if w.isRunning()]
    assert not running, f"threads still running: {[t.objectName() for t in running]}"
    assert window.launcher.server is None
    api_threads = [t.name for t in threading.enumerate() if t.name.startswith("sse-chat-api")]
    assert not api_threads, f"API threads still running: {api_threads}"


@pytest.fixture
def make_window(qtbot: QtBot, tmp_path: Path, ui_settings: UiSettings) -> Iterator[WindowFactory]:
    """Build, show and start a real `MainWindow` on the embedded backend; it waits until
    the backend is ready. Every window is shut down (and checked) at the end."""
    windows: list[MainWindow] = []

    def factory(
        echo_delay: float = 0.0,
        data_dir: Path | None = None,
        settings: UiSettings | None = None,
        launch: LaunchConfig | None = None,
        **backend: object,
    ) -> MainWindow:
        if launch is None:
            launch = LaunchConfig(
                settings=Settings(
                    data_dir=data_dir or tmp_path / "data",
                    echo_delay=echo_delay,
                    **backend,  # type: ignore[arg-type]
                )
            )
        # let windows of earlier tests go first: their late deletion can steal activation
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        window = build_window(launch, settings or ui_settings)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        window.activateWindow()  # keyboard focus and shortcuts need the active window
        qtbot.waitUntil(window.isActiveWindow)
        with qtbot.waitSignal(window.controller.ready_changed, timeout=WAIT_MS):
            window.start()
        return window

    yield factory
    for window in windows:
        window.close()
        _assert_stopped(window)
        window.deleteLater()
    # gone now, not at the next test's first window: a theme switch before it would
    # repolish this test's widgets half torn down (that crashed in setStyleSheet)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def window(make_window: WindowFactory) -> MainWindow:
    return make_window(echo_delay=0.0)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A backend of the test's own (for `--connect` and for the proxy)."""
    srv = EmbeddedServer(Settings(data_dir=tmp_path / "served", echo_delay=0.02))
    srv.start(timeout=10.0)
    yield srv
    srv.stop()


@pytest.fixture
def api(server: EmbeddedServer) -> Iterator[ChatClient]:
    client = ChatClient(server.base_url, server.token)
    yield client
    client.close()


@pytest.fixture
def proxy(server: EmbeddedServer) -> Iterator[ControlledProxy]:
    p = ControlledProxy(server.port)
    yield p
    p.close()


@pytest.fixture
def driver(qtbot: QtBot) -> Callable[[MainWindow], Driver]:
    return lambda window: Driver(qtbot, window)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring stands in for the OS one (which cannot run here)."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A machine without any keyring (`keyring`'s "fail" backend)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
