"""Selecting across a reply's blocks (issue 15, item 14), in the real window: a drag from a
paragraph over the code block below it selects on into the next paragraph, Copy gives all
of it; Ctrl+A in a reply selects the whole reply and Copy gives its Markdown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.views.code_block import CodeView
from desktop.views.main_window import MainWindow
from desktop.views.markdown_body import MarkdownBody
from desktop.views.reply_selection import Part, parts_of
from desktop.views.segments import MarkdownSegment
from tests.support.window_driver import WAIT_MS, Driver

REPLY = "First paragraph here.\n\n```python\nx = 1\ny = 2\n```\n\nSecond paragraph there.\n"


def _mouse(widget: QWidget, kind: QEvent.Type, at: QPoint, held: bool) -> None:
    button = Qt.MouseButton.LeftButton
    event = QMouseEvent(
        kind,
        QPointF(at),
        QPointF(widget.mapToGlobal(at)),
        button if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        button if held else Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def _parts(window: MainWindow, qtbot: QtBot) -> list[Part]:
    reply = window.chat_view.widgets[-1]
    assert isinstance(reply.body, MarkdownBody)
    body = reply.body
    qtbot.waitUntil(lambda: len(body.widgets()) == 3, timeout=WAIT_MS)
    first = body.widgets()[0]
    assert isinstance(first, MarkdownSegment)
    return parts_of(first)


@pytest.fixture
def parts(window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot) -> list[Part]:
    """`REPLY` sent and answered: its paragraph, code block and last paragraph."""
    d = driver(window)
    d.send(REPLY, paste=True)
    d.wait_reply_done()
    return _parts(window, qtbot)


def test_a_drag_selects_across_a_paragraph_and_the_code_below(
    parts: list[Part],
) -> None:
    first, code, last = parts
    assert isinstance(code, CodeView)
    # press on "paragraph" in the first part, drag down into the middle of the last one
    start = first.cursorRect(_cursor_at(first, "paragraph")).center()
    viewport = first.viewport()
    _mouse(viewport, QEvent.Type.MouseButtonPress, start, held=True)
    inside_last = last.cursorRect(_cursor_at(last, "paragraph")).center()
    target = viewport.mapFromGlobal(last.viewport().mapToGlobal(inside_last))
    _mouse(viewport, QEvent.Type.MouseMove, target, held=True)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, target, held=False)
    assert first.textCursor().selectedText() == "paragraph here."
    assert code.textCursor().selectedText() == "x = 1\u2029y = 2"  # all of it
    assert last.textCursor().selectedText() == "Second "
    first.copy()
    clipboard = QGuiApplication.clipboard().text()
    assert clipboard == "paragraph here.\n\n```python\nx = 1\ny = 2\n```\n\nSecond "
    # dragging back up into the first part leaves the others unselected
    _mouse(viewport, QEvent.Type.MouseButtonPress, start, held=True)
    assert not code.textCursor().hasSelection() and not last.textCursor().hasSelection()
    _mouse(viewport, QEvent.Type.MouseMove, QPoint(start.x() + 30, start.y()), held=True)
    assert first.textCursor().hasSelection() and not code.textCursor().hasSelection()


def test_select_all_in_a_reply_copies_its_markdown(parts: list[Part], qtbot: QtBot) -> None:
    first, code, last = parts
    code.setFocus()
    qtbot.keyClick(code, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert all(p.textCursor().hasSelection() for p in (first, code, last))
    qtbot.keyClick(code, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == REPLY  # its Markdown
    # a selection inside one part copies just that, as before
    last.setTextCursor(_cursor_at(last, "paragraph", select=True))
    first.setTextCursor(_cursor_at(first, "First"))
    code.setTextCursor(_cursor_at(code, "x"))
    last.copy()
    assert QGuiApplication.clipboard().text() == "paragraph"


def _cursor_at(part: Part, word: str, select: bool = False) -> QTextCursor:
    found = part.document().find(word)
    assert not found.isNull()
    if not select:
        found.setPosition(found.selectionStart())
    return found


def test_a_drag_held_below_the_view_scrolls_and_selects_on(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    """A drag from the top of a long reply, held below the chat view's bottom edge,
    scrolls the view (it stood still before) and the selection follows to the end."""
    window.resize(900, 500)
    d = driver(window)
    paragraphs = [
        f"Paragraph {n} of a long reply, with words enough to fill a line." for n in range(40)
    ]
    reply = (
        "\n\n".join(paragraphs[:20])
        + "\n\n```python\nx = 1\n```\n\n"
        + "\n\n".join(paragraphs[20:])
    )
    d.send(reply + "\n", paste=True)
    d.wait_reply_done()
    reply_widget = window.chat_view.widgets[-1]
    body = reply_widget.body
    assert isinstance(body, MarkdownBody)
    qtbot.waitUntil(lambda: len(body.widgets()) >= 3 and not body.pending, timeout=WAIT_MS)
    bar = window.chat_view.verticalScrollBar()
    column = window.chat_view.widget()
    assert column is not None
    top = reply_widget.mapTo(column, QPoint(0, 0)).y()
    bar.setValue(top)  # the reply's top at the view's top

    def first_shown() -> bool:
        part = body.widgets()[0]
        return part.visibleRegion().boundingRect().height() > 40

    qtbot.waitUntil(first_shown, timeout=WAIT_MS)
    first = body.widgets()[0]
    assert isinstance(first, MarkdownSegment)
    last = parts_of(first)[-1]
    start_value = bar.value()
    viewport = first.viewport()
    press = first.cursorRect(_cursor_at(first, "Paragraph 0")).center()
    _mouse(viewport, QEvent.Type.MouseButtonPress, press, held=True)
    view = window.chat_view.viewport()
    below = view.mapToGlobal(QPoint(view.width() // 2, view.height() + 60))
    _mouse(viewport, QEvent.Type.MouseMove, viewport.mapFromGlobal(below), held=True)
    qtbot.waitUntil(lambda: bar.value() >= min(start_value + 300, bar.maximum()), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: last.textCursor().hasSelection(), timeout=WAIT_MS)
    _mouse(viewport, QEvent.Type.MouseButtonRelease, viewport.mapFromGlobal(below), held=False)
    stopped = bar.value()
    qtbot.wait(100)
    assert bar.value() == stopped  # the release ends the scrolling
    assert first.textCursor().selectedText().startswith("Paragraph 0")
