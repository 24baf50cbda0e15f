"""Typing, streaming, stopping, regenerating and editing, in the real window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory

TEXT = "Hello, streaming world! This reply grows one character at a time."


def test_focus_starts_in_the_input(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    driver(window).activate()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.composer.input)
    assert window.composer.send_button.isEnabled()


def test_typed_message_streams_back_growing(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.02)
    d = driver(window)
    d.send(TEXT)
    assert d.input.toPlainText() == ""  # accepted: the draft is cleared
    assert window.composer.send_button.text() == "Stop"
    user, reply = d.model.messages
    assert (user.role, user.content, reply.role) == ("user", TEXT, "assistant")

    seen: list[str] = []

    def grown(n: int) -> bool:
        body = window.chat_view.widgets[-1].body.text()
        if not seen or seen[-1] != body:
            seen.append(body)
        return len(body) >= n

    qtbot.waitUntil(lambda: grown(10), timeout=WAIT_MS)
    partial = window.chat_view.widgets[-1].body.text()
    assert 10 <= len(partial) < len(TEXT) and TEXT.startswith(partial)
    qtbot.waitUntil(lambda: grown(len(TEXT) // 2), timeout=WAIT_MS)
    d.wait_reply_done()
    final = d.last_reply()
    assert (final.content, final.status) == (TEXT, "complete")
    # several intermediate states were painted, each a prefix of the reply
    assert len([s for s in seen if 0 < len(s) < len(TEXT)]) >= 3
    assert all(TEXT.startswith(s) for s in seen)
    # user and assistant look different; the finished reply is Markdown
    user_w, reply_w = window.chat_view.widgets
    assert user_w.property("role") == "user" and reply_w.property("role") == "assistant"
    assert user_w.author.text() != reply_w.author.text()
    assert reply_w.body.textFormat() == Qt.TextFormat.MarkdownText
    assert window.composer.send_button.text() == "Send"
    qtbot.waitUntil(lambda: window.composer.input.hasFocus() or not window.isActiveWindow())


def test_shift_enter_is_a_newline(
    window: MainWindow, driver: Callable[[MainWindow], Driver]
) -> None:
    d = driver(window)
    d.type("first line\nsecond line")
    assert d.input.toPlainText() == "first line\nsecond line"
    assert d.model.rowCount() == 0  # nothing sent yet
    d.press(Qt.Key.Key_Return)
    d.wait_reply_done()
    assert d.model.messages[0].content == "first line\nsecond line"
    assert d.last_reply().content == "first line\nsecond line"


def test_stop_keeps_the_partial_text(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver]
) -> None:
    window = make_window(echo_delay=0.02)
    d = driver(window)
    text = "x" * 20 + " and a long tail that should never be reached " * 5
    d.send(text, paste=True)
    d.wait_reply_chars(10)
    d.press(Qt.Key.Key_Escape)  # Esc stops
    d.wait_reply_done()
    reply = d.last_reply()
    assert reply.status == "cancelled"
    assert 10 <= len(reply.content) < len(text) and text.startswith(reply.content)
    widget = window.chat_view.widgets[-1]
    assert widget.body.text() == reply.content
    assert "Stopped" in widget.status.text()
    # the Stop button does the same
    d.send("y" * 200, paste=True)
    assert window.composer.send_button.text() == "Stop"
    d.wait_reply_chars(5)
    window.composer.send_button.click()
    d.wait_reply_done()
    assert d.last_reply().status == "cancelled"
    assert 0 < len(d.last_reply().content) < 200


def test_regenerate_last_reply(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("regenerate me")
    d.wait_reply_done()
    old = d.last_reply()
    button = window.chat_view.widgets[-1].regenerate_button
    assert button.isVisibleTo(window)
    assert not window.chat_view.widgets[0].regenerate_button.isVisibleTo(window)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.last_reply().id != old.id, timeout=WAIT_MS)
    d.wait_reply_done()
    assert [(m.role, m.content) for m in d.model.messages] == [
        ("user", "regenerate me"),
        ("assistant", "regenerate me"),
    ]
    assert d.last_reply().status == "complete"


def test_edit_and_resend(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("first")
    d.wait_reply_done()
    d.send("second")
    d.wait_reply_done()
    assert d.model.rowCount() == 4
    first_id = d.model.messages[0].id
    d.type("a draft in progress")
    qtbot.mouseClick(window.chat_view.widgets[0].edit_button, Qt.MouseButton.LeftButton)
    editor = window.chat_view.widgets[0].editor  # the message is edited in place
    assert editor is not None and editor.toPlainText() == "first"
    editor.selectAll()
    qtbot.keyClicks(editor, "first, edited")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: d.model.rowCount() == 2, timeout=WAIT_MS)
    d.wait_reply_done()
    # the edited copy is a new message (the original stays on another branch)
    assert [(m.id == first_id, m.content) for m in d.model.messages] == [
        (False, "first, edited"),
        (False, "first, edited"),
    ]
    # the composer's draft was never touched
    assert window.composer.editing_id == ""
    assert d.input.toPlainText() == "a draft in progress"


def test_too_long_message_shows_an_error_and_keeps_the_draft(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(max_content_chars=50)
    d = driver(window)
    text = "z" * 60
    window.composer.set_draft(text)
    d.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.banner.isVisibleTo(window), timeout=WAIT_MS)
    assert "too long" in window.banner.text()
    assert "Traceback" not in window.banner.text()
    assert d.input.toPlainText() == text
    assert d.model.rowCount() == 0
    # a good message afterwards clears the error
    window.composer.set_draft("short")
    d.press(Qt.Key.Key_Return)
    d.wait_reply_done()
    assert not window.banner.isVisibleTo(window)


def test_auto_scroll_follows_unless_scrolled_up(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.005)
    window.resize(600, 300)
    d = driver(window)
    text = "\n".join(f"line {i}" for i in range(60))
    d.send(text, paste=True)
    bar = window.chat_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and len(d.last_reply().content) > 100)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # following
    bar.setValue(0)  # the user scrolls up to read
    length = len(d.last_reply().content)
    qtbot.waitUntil(lambda: len(d.last_reply().content) > length + 50, timeout=WAIT_MS)
    assert bar.value() == 0
    d.wait_reply_done()
    assert bar.value() == 0


def test_keyboard_regenerate_and_edit(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("by keyboard")
    d.wait_reply_done()
    old = d.last_reply().id
    d.shortcut(Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Ctrl+R regenerates
    qtbot.waitUntil(lambda: d.last_reply().id != old, timeout=WAIT_MS)
    d.wait_reply_done()
    d.shortcut(Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # Ctrl+E edits in place
    editor = window.chat_view.widgets[0].editor
    assert editor is not None and editor.toPlainText() == "by keyboard"
    qtbot.waitUntil(editor.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)  # Esc leaves edit mode
    assert window.chat_view.widgets[0].editor is None and d.input.toPlainText() == ""
