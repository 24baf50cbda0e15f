"""Start-up, failure to start, quitting mid-stream and relaunching, --connect."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from backend.config import Settings
from backend.embedded import EmbeddedServer
from desktop.app import build_window
from desktop.client import ChatClient
from desktop.prefs.ui import UiSettings
from desktop.views.main_window import STARTING, MainWindow
from desktop.workers import LaunchConfig
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def test_window_shows_before_the_backend_is_ready(
    tmp_path: Path, qtbot: QtBot, ui_settings: UiSettings
) -> None:
    window = build_window(LaunchConfig(settings=Settings(data_dir=tmp_path)), ui_settings)
    qtbot.addWidget(window)
    window.show()
    assert window.chat_view.hint.text() == STARTING
    assert not window.composer.send_button.isEnabled()  # nothing to send to yet
    with qtbot.waitSignal(window.controller.ready_changed, timeout=WAIT_MS):
        window.start()
    assert window.composer.send_button.isEnabled()
    window.close()
    assert window.launcher.server is None


def test_backend_that_cannot_start_is_explained(
    tmp_path: Path, qtbot: QtBot, ui_settings: UiSettings
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("in the way")
    window = build_window(LaunchConfig(settings=Settings(data_dir=not_a_dir)), ui_settings)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.launcher.failed, timeout=WAIT_MS):
        window.start()
    assert window.banner.isVisibleTo(window)
    text = window.banner.text()
    assert text.startswith("The chat backend could not start")
    assert "Traceback" not in text
    assert not window.composer.send_button.isEnabled()
    window.close()
    assert not [t for t in window.findChildren(QThread) if t.isRunning()]


def test_quit_mid_stream_then_relaunch_keeps_history_and_layout(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    data = tmp_path / "history"
    settings_file = str(tmp_path / "relaunch.ini")
    window = make_window(
        echo_delay=0.02,
        data_dir=data,
        settings=UiSettings(QSettings(settings_file, QSettings.Format.IniFormat)),
    )
    d = driver(window)
    d.send("an older message")
    d.wait_reply_done()
    window.new_conversation()
    qtbot.waitUntil(lambda: window.controller.draft, timeout=WAIT_MS)
    text = "quitting while this streams " * 4
    d.send(text, paste=True)
    d.wait_reply_chars(10)
    cid = window.controller.current_id
    window.resize(777, 555)
    window.splitter.setSizes([300, 477])
    sizes = window.splitter.sizes()

    d.shortcut(Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Q
    assert not window.isVisible()
    assert not [t for t in window.findChildren(QThread) if t.isRunning()]
    assert window.launcher.server is None

    again = make_window(
        data_dir=data, settings=UiSettings(QSettings(settings_file, QSettings.Format.IniFormat))
    )
    d2 = driver(again)
    qtbot.waitUntil(lambda: again.controller.current_id == cid, timeout=WAIT_MS)  # reopened
    qtbot.waitUntil(lambda: d2.model.rowCount() == 2, timeout=WAIT_MS)
    user, reply = d2.model.messages
    assert user.content == text
    assert reply.status in ("interrupted", "cancelled", "complete")
    assert text.startswith(reply.content)
    assert again.controller.conversations.rowCount() == 2
    assert (again.width(), again.height()) == (777, 555)
    assert again.splitter.sizes() == sizes
    # and the app is usable again
    d2.send("after the relaunch")
    d2.wait_reply_done()
    assert d2.last_reply().content == "after the relaunch"


def test_connect_to_a_running_backend(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    server: EmbeddedServer,
    api: ChatClient,
    qtbot: QtBot,
) -> None:
    conv = api.create_conversation("made elsewhere")
    window = make_window(launch=LaunchConfig(connect_url=server.base_url, token=server.token))
    qtbot.waitUntil(lambda: window.controller.current_id == conv.id, timeout=WAIT_MS)
    d = driver(window)
    d.send("over --connect")
    d.wait_reply_done()
    assert [m.content for m in api.get_conversation(conv.id).messages] == ["over --connect"] * 2
    window.close()
    assert server.running  # a server we did not start is left alone


def test_connect_with_a_wrong_token_is_explained(
    server: EmbeddedServer, qtbot: QtBot, ui_settings: UiSettings
) -> None:
    window = build_window(LaunchConfig(connect_url=server.base_url, token="wrong"), ui_settings)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.launcher.failed, timeout=WAIT_MS):
        window.start()
    assert "refused the access token" in window.banner.text()
    window.close()


def test_focus_returns_to_the_input_after_a_reply(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.02)
    d = driver(window)
    d.activate()
    d.send("focus comes back after this reply")
    window.sidebar.list.setFocus()  # the user looks elsewhere while it streams
    assert d.model.streaming()
    d.activate()
    qtbot.waitUntil(lambda: window.sidebar.list.hasFocus())
    d.wait_reply_done()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.composer.input)
