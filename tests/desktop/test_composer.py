"""The composer: drafts per conversation (and across restarts), growing with its text,
the Send/Stop button, the hint when Enter cannot send, and the Ctrl+Enter setting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.prefs.ui import UiSettings
from desktop.views.composer import STREAMING_HINT
from desktop.views.main_window import MainWindow
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def _new_conversation(window: MainWindow, d: Driver, qtbot: QtBot) -> str:
    """A second conversation (a new chat is a draft until its first message is sent)."""
    before = window.controller.current_id
    window.controller.new_conversation()
    qtbot.waitUntil(lambda: window.controller.current_id == "", timeout=WAIT_MS)
    assert window.composer.draft == ""  # the draft of `before` did not follow
    d.send("second conversation")
    qtbot.waitUntil(lambda: window.controller.current_id not in ("", before), timeout=WAIT_MS)
    d.wait_reply_done()
    return window.controller.current_id


def test_each_conversation_keeps_its_draft_across_a_restart(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    tmp_path: Path,
    ui_settings: UiSettings,
) -> None:
    window = make_window(data_dir=tmp_path / "data")
    d = driver(window)
    d.send("first message")
    d.wait_reply_done()
    a = window.controller.current_id
    d.type("draft of A")
    b = _new_conversation(window, d, qtbot)
    assert window.composer.draft == ""  # A's draft did not follow
    d.type("draft of B")
    window.controller.select(a)
    assert window.composer.draft == "draft of A"
    window.controller.select(b)
    assert window.composer.draft == "draft of B"
    window.close()

    again = make_window(data_dir=tmp_path / "data", settings=ui_settings)
    qtbot.waitUntil(lambda: again.controller.current_id == b, timeout=WAIT_MS)
    assert again.composer.draft == "draft of B"
    again.controller.select(a)
    assert again.composer.draft == "draft of A"


def test_a_sent_draft_is_forgotten(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("hello")
    d.wait_reply_done()
    a = window.controller.current_id
    _new_conversation(window, d, qtbot)
    window.controller.select(a)
    assert window.composer.draft == ""
    assert window.ui_settings.draft(a) == ""


def test_the_box_grows_with_its_text_up_to_a_share_of_the_window(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window.resize(900, 700)
    box = window.composer.input
    one_line = box.height()
    driver(window).type("one\ntwo\nthree")
    qtbot.waitUntil(lambda: box.height() > 2 * one_line)
    window.composer.set_draft("\n".join(f"line {i}" for i in range(80)))
    limit = int(window.height() * 0.4)
    qtbot.waitUntil(lambda: box.height() == limit)
    assert box.verticalScrollBar().maximum() > 0  # the rest scrolls
    window.composer.set_draft("")
    qtbot.waitUntil(lambda: box.height() == one_line)


def test_enter_while_a_reply_streams_says_why_nothing_is_sent(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.05)
    d = driver(window)
    d.send("a long enough message to stream for a while, letter by letter")
    assert window.composer.send_button.text() == "Stop"
    assert not window.composer.hint.isVisible()
    d.type("next one")
    d.press(Qt.Key.Key_Return)
    assert window.composer.hint.isVisible()
    assert window.composer.hint.text() == STREAMING_HINT
    assert window.composer.draft == "next one"  # kept
    window.composer.send_button.click()  # Stop
    d.wait_reply_done()
    qtbot.waitUntil(lambda: not window.composer.hint.isVisible())
    assert window.composer.send_button.text() == "Send"


def test_ctrl_enter_sends_when_so_set(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window.composer.set_ctrl_enter_sends(True)
    d = driver(window)
    d.type("two")
    d.press(Qt.Key.Key_Return)
    assert window.composer.draft == "two\n"  # Enter made a new line
    rows = d.model.rowCount()
    d.press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: d.model.rowCount() >= rows + 2, timeout=WAIT_MS)
    assert d.model.messages[0].content == "two\n"


def test_the_send_key_is_set_in_settings(
    window: MainWindow,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    memory_keyring: object,
) -> None:
    from tests.support.settings_dialog import DialogDriver

    dd = DialogDriver(qtbot, window)
    dialog = dd.open()
    assert not dialog.ctrl_enter.isChecked()
    dialog.ctrl_enter.setChecked(True)
    dd.save(dialog)
    assert window.ui_settings.send_with_ctrl_enter
    assert window.composer.input.ctrl_enter_sends
    d = driver(window)
    d.type("x")
    d.press(Qt.Key.Key_Return)
    assert window.composer.draft == "x\n"
