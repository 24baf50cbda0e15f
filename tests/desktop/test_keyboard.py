"""The window's keyboard map, pressed as a user would in the real window."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.theme import apply_theme
from desktop.views.code_block import CodeView
from desktop.views.main_window import MainWindow
from desktop.views.thinking import ThinkingBlock
from tests.desktop.test_render_math import themed
from tests.support.window_driver import WAIT_MS, Driver, first_child

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier


def _focus() -> QWidget | None:
    return QApplication.focusWidget()


def _focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the focus"
    return widget


def _two_conversations(window: MainWindow, d: Driver, qtbot: QtBot) -> tuple[str, str]:
    d.send("first conversation")
    d.wait_reply_done()
    a = window.controller.current_id
    window.controller.new_conversation()  # a draft until its first message is sent
    qtbot.waitUntil(lambda: window.controller.current_id == "", timeout=WAIT_MS)
    d.send("second conversation")
    qtbot.waitUntil(lambda: window.controller.current_id not in ("", a), timeout=WAIT_MS)
    d.wait_reply_done()
    return a, window.controller.current_id


def test_f6_cycles_sidebar_chat_and_composer(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.activate()
    qtbot.waitUntil(lambda: _focus() is window.composer.input)
    chat = window.empty_state.cards[0]  # an empty conversation: the empty state's first card
    seen = []
    for _ in range(3):
        qtbot.keyClick(_focused(), Qt.Key.Key_F6, NONE)
        seen.append(_focus())
    assert seen == [window.sidebar.list, chat, window.composer.input]
    back = []
    for _ in range(3):
        qtbot.keyClick(_focused(), Qt.Key.Key_F6, SHIFT)
        back.append(_focus())
    assert back == [chat, window.sidebar.list, window.composer.input]
    d.send("now the conversation has messages")
    window.composer.focus()
    qtbot.keyClick(_focused(), Qt.Key.Key_F6, SHIFT)
    assert _focus() is window.chat_view


def test_tab_from_the_composer_passes_the_conversation_in_one_stop(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    for text in ("one `code`\n\n```py\nx = 1\n```", "two", "three"):
        d.send(text)
        d.wait_reply_done()
    d.activate()
    window.composer.focus()
    qtbot.waitUntil(lambda: _focus() is window.composer.input)
    stops: list[QWidget] = []
    for _ in range(40):
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab, NONE)
        stops.append(_focused())
        if _focus() is window.composer.input:
            break
    assert stops[-1] is window.composer.input, stops  # the ring closed
    assert window.chat_view in stops
    inside = [w for w in stops if w is not window.chat_view and window.chat_view.isAncestorOf(w)]
    assert not inside, inside
    assert len(stops) < 15, [type(w).__name__ for w in stops]


def test_ctrl_tab_and_ctrl_page_keys_switch_conversations(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    a, b = _two_conversations(window, d, qtbot)
    rows = [c.id for c in window.controller.conversations.conversations]
    start = window.controller.current_id
    following = rows[(rows.index(start) + 1) % len(rows)]
    d.shortcut(Qt.Key.Key_Tab, CTRL)
    assert window.controller.current_id == following
    d.shortcut(Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert window.controller.current_id == start
    d.shortcut(Qt.Key.Key_PageDown, CTRL)
    assert window.controller.current_id == following
    d.shortcut(Qt.Key.Key_PageUp, CTRL)
    assert window.controller.current_id == start
    assert {a, b} == set(rows)


def test_ctrl_shift_c_copies_the_last_reply(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("copy me please")
    d.wait_reply_done()
    QGuiApplication.clipboard().setText("before")
    d.shortcut(Qt.Key.Key_C, CTRL | SHIFT)
    assert QGuiApplication.clipboard().text() == d.last_reply().content
    assert "copy me please" in QGuiApplication.clipboard().text()


def test_the_shortcuts_sheet_lists_every_action_with_keys(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.shortcut(Qt.Key.Key_Slash, CTRL)
    sheet = window.keys.sheet
    assert sheet is not None
    qtbot.waitUntil(sheet.isVisible)
    table = sheet.table

    def column(c: int) -> set[str]:
        cells = [table.item(r, c) for r in range(table.rowCount())]
        assert all(cell is not None for cell in cells)
        return {cell.text() for cell in cells if cell is not None}

    listed = column(1)
    names = column(0)
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString(QKeySequence.SequenceFormat.NativeText)
            assert any(text in keys.split(" / ") for keys in listed), text
    for expected in ("New conversation", "Copy last reply", "Next pane", "Zoom in", "Settings"):
        assert expected in names
    sheet.close()


def test_font_zoom_keys_and_their_setting(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    base = QApplication.font().pointSizeF()
    d.shortcut(Qt.Key.Key_Equal, CTRL)
    d.shortcut(Qt.Key.Key_Equal, CTRL)
    assert QApplication.font().pointSizeF() == base + 2
    assert window.composer.input.font().pointSizeF() == base + 2
    assert window.ui_settings.font_offset == 2
    d.shortcut(Qt.Key.Key_Minus, CTRL)
    assert QApplication.font().pointSizeF() == base + 1
    d.shortcut(Qt.Key.Key_0, CTRL)
    assert QApplication.font().pointSizeF() == base
    assert window.ui_settings.font_offset == 0


@pytest.fixture
def light(qapp: QApplication) -> Iterator[None]:
    """The light theme's stylesheet in force, as the app runs (restored after)."""
    with themed(qapp):
        apply_theme(qapp, "light")
        yield


def test_zoom_reaches_code_blocks_and_the_model_line(
    light: None, window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    """Seen under Xvfb: Ctrl+= made the reply's text bigger but its code block and its
    model line kept their size (each had a font of its own, size and all). With the
    stylesheet in force, as the app runs."""
    d = driver(window)
    d.send("Some code:\n\n```python\nx = 1\n```\n\nDone.\n", paste=True)
    d.wait_reply_done()
    reply = window.chat_view.widgets[-1]
    code = first_child(qtbot, reply, CodeView)
    qtbot.waitUntil(reply.meta.isVisible, timeout=WAIT_MS)
    before = (code.font().pointSizeF(), reply.meta.font().pointSizeF())
    line_before = code.height()
    d.shortcut(Qt.Key.Key_Equal, CTRL)
    d.shortcut(Qt.Key.Key_Equal, CTRL)
    assert code.font().pointSizeF() == before[0] + 2
    assert code.font().fixedPitch() or "mono" in code.font().family().lower()
    qtbot.waitUntil(lambda: reply.meta.font().pointSizeF() > before[1], timeout=WAIT_MS)
    assert reply.meta.font().pointSizeF() < QApplication.font().pointSizeF()  # still smaller
    qtbot.waitUntil(lambda: code.height() > line_before, timeout=WAIT_MS)  # refitted
    d.shortcut(Qt.Key.Key_0, CTRL)
    qtbot.waitUntil(lambda: reply.meta.font().pointSizeF() == before[1], timeout=WAIT_MS)
    assert code.font().pointSizeF() == before[0]


def test_zoom_reaches_the_reasoning(
    light: None, window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("<think>Weighing it up.</think>The answer.", paste=True)
    d.wait_reply_done()
    block = window.chat_view.widgets[-1].findChildren(ThinkingBlock)[0]
    text = window.chat_view.widgets[-1].body.font().pointSizeF()
    before = block.body.font().pointSizeF()
    assert before < text
    d.shortcut(Qt.Key.Key_Equal, CTRL)
    qtbot.waitUntil(lambda: block.body.font().pointSizeF() > before, timeout=WAIT_MS)
    assert block.body.font().pointSizeF() < window.chat_view.widgets[-1].body.font().pointSizeF()
