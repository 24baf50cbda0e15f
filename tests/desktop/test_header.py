"""The chat header in the real window: rename by clicking the title, the model picker and
the system prompt popover (PATCH, PROTOCOL section 11), and the connection dot."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from tests.support.window_driver import WAIT_MS, Driver, listed


def _conversation(window: MainWindow, d: Driver) -> str:
    d.send("hello header")
    d.wait_reply_done()
    return window.controller.current_id


def test_clicking_the_title_renames_the_conversation(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    cid = _conversation(window, d)
    header = window.header
    qtbot.waitUntil(lambda: header.title_button.text() == "hello header", timeout=WAIT_MS)
    qtbot.mouseClick(header.title_button, Qt.MouseButton.LeftButton)
    assert header.title_stack.currentWidget() is header.title_edit
    header.title_edit.clear()
    qtbot.keyClicks(header.title_edit, "Tom & <b>Jerry</b>")
    qtbot.keyClick(header.title_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: listed(window, cid).title == "Tom & <b>Jerry</b>", timeout=WAIT_MS)
    assert header.title_stack.currentWidget() is header.title_button
    assert header.title_button.text() == "Tom && <b>Jerry</b>"  # shown literally


def test_the_model_picker_sets_this_conversations_model(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    cid = _conversation(window, d)
    header = window.header
    qtbot.waitUntil(lambda: header.models is not None, timeout=WAIT_MS)
    assert header.models, "the echo provider lists its model"
    picker = header.model_picker
    assert picker.isEnabled() and picker.currentData() is None  # Default
    name = header.models[0]
    picker.setCurrentIndex(picker.findData(name))
    picker.activated.emit(picker.currentIndex())
    client = window.controller.client
    assert client is not None
    qtbot.waitUntil(lambda: listed(window, cid).model == name, timeout=WAIT_MS)
    assert client.get_conversation(cid).conversation.model == name
    d.send("again")
    d.wait_reply_done()
    assert d.last_reply().model == name
    picker.setCurrentIndex(0)
    picker.activated.emit(0)
    qtbot.waitUntil(lambda: listed(window, cid).model is None, timeout=WAIT_MS)
    assert client.get_conversation(cid).conversation.model is None


def test_the_system_prompt_popover_sets_and_resets_the_prompt(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    cid = _conversation(window, d)
    header = window.header
    qtbot.mouseClick(header.prompt_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(header.popover.isVisible)
    qtbot.keyClicks(header.popover.editor, "Answer like a pirate.")
    header.popover.save_button.click()
    qtbot.waitUntil(
        lambda: listed(window, cid).system_prompt == "Answer like a pirate.",
        timeout=WAIT_MS,
    )
    assert not header.popover.isVisible()
    assert header.prompt_button.property("active") is True
    header.open_prompt()
    assert header.popover.editor.toPlainText() == "Answer like a pirate."
    header.popover.default_button.click()
    qtbot.waitUntil(lambda: listed(window, cid).system_prompt is None, timeout=WAIT_MS)


def test_the_connection_dot_and_no_port_in_the_status_bar(window: MainWindow) -> None:
    header = window.header
    assert header.dot.property("state") == "online"
    assert "Connected" in header.dot.toolTip()
    assert "127.0.0.1" not in window.statusBar().currentMessage()
    assert header.height() == 48


def test_the_model_picker_has_room_for_a_model_name(window: MainWindow) -> None:
    # Seen under Xvfb: "Default (reasoning-content)" showed as "Default (reasonin".
    picker = window.header.model_picker
    name = "Default (qwen2.5:14b-instruct)"
    assert picker.minimumSizeHint().width() > picker.fontMetrics().horizontalAdvance(name)
