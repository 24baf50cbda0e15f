"""A 480 x 400 window (sidebar folded) stays usable: nothing in the chat column reaches
past its right edge; code and tables scroll sideways inside the column."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from tests.support.window_driver import Driver

WIDE = (
    "```\n"
    + "x = "
    + "1 + " * 80
    + "1\n```\n\n| "
    + " | ".join(f"col{i}" for i in range(20))
    + " |\n|"
    + "---|" * 20
    + "\n| "
    + " | ".join("v" for _ in range(20))
    + " |\n\n"
    + "A paragraph " * 30
)


def _right_edge(widget: QWidget, ancestor: QWidget) -> int:
    return widget.mapTo(ancestor, QPoint(widget.width(), 0)).x()


def test_at_480_by_400_nothing_passes_the_right_edge(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send(WIDE, paste=True)
    d.wait_reply_done()
    window.sidebar.hide()  # folded (the sidebar folds itself below ~700 px: shell's part)

    def small() -> bool:  # (the minimum size shrinks once the fold is laid out)
        window.resize(480, 400)
        return window.width() == 480 and window.height() == 400

    qtbot.waitUntil(small)
    viewport = window.chat_view.viewport()
    content = window.chat_view.widget()
    assert content is not None
    qtbot.waitUntil(lambda: content.width() <= viewport.width())
    column = window.centralWidget()
    right = window.width()
    for part in (window.header, window.composer, window.chat_view):
        assert _right_edge(part, window) <= right, part.objectName()
    for child in content.findChildren(QWidget):
        if not child.isVisibleTo(window.chat_view) or child.isWindow():
            continue
        parent = child.parentWidget()
        # a child inside a sideways-scrolling area may be wider: its scroll area clips it
        if parent is not None and parent.objectName() == "qt_scrollarea_viewport":
            continue
        edge = _right_edge(child, viewport)
        assert edge <= viewport.width() + 1, (type(child).__name__, child.objectName(), edge)
    assert column is not None
    assert window.composer.send_button.isVisible()
    assert _right_edge(window.composer.send_button, window) <= right
