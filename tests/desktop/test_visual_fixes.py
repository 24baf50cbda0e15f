"""Seen defects of the window's look (issue 15): the gap under a user's bubble, the chat
header's title that elides, the system prompt popover's corners."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.theme import apply_theme, colors_of
from desktop.views.main_window import MainWindow
from tests.desktop.test_render_math import themed
from tests.support.pixels import pixels_like
from tests.support.window_driver import WAIT_MS, Driver


def test_the_next_message_follows_a_bubble_at_the_column_spacing(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    window.resize(1200, 800)
    d.send("hello gap")
    d.wait_reply_done()
    view = window.chat_view
    qtbot.waitUntil(lambda: len(view.widgets) == 2, timeout=WAIT_MS)
    user, reply = view.widgets
    assert user.bubble is not None
    content = view.widget()
    assert content is not None
    column = content.layout()
    assert column is not None
    qtbot.waitUntil(lambda: user.body.height() > 0, timeout=WAIT_MS)
    bubble_bottom = user.bubble.mapTo(content, QPoint(0, user.bubble.height())).y()
    # the bubble ends the message: the reply starts one column spacing (16 px) below it
    assert reply.geometry().top() - bubble_bottom == column.spacing()
    # the text sits in the bubble at its padding (no empty status line above it)
    body_top = user.body.mapTo(user.bubble, QPoint(0, 0)).y()
    body_bottom = body_top + user.body.height()
    assert body_top == 10 and user.bubble.height() - body_bottom == 10
    # the actions are beside the bubble, shown on hover as before
    assert user.actions_row.geometry().right() < user.bubble.geometry().left()


def _width_is(window: MainWindow, width: int) -> Callable[[], bool]:
    return lambda: window.width() == width


@pytest.mark.parametrize("styled", [False, True])
def test_a_long_title_is_elided_and_the_model_picker_keeps_its_place(
    window: MainWindow,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    qapp: QApplication,
    styled: bool,
) -> None:
    """Also with the stylesheet in force, as the app runs (a wider model picker there once
    kept the window from narrowing to 640 px with the sidebar open)."""
    with themed(qapp):
        if styled:
            apply_theme(qapp, "light")
        _check_title_and_picker(window, driver, qtbot)


def _check_title_and_picker(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    long = "A very long conversation title " * 6
    d.send("hello title")
    d.wait_reply_done()
    window.controller.rename(window.controller.current_id, long.strip())
    header = window.header
    qtbot.waitUntil(lambda: header.title_button.title == long.strip(), timeout=WAIT_MS)
    picker = header.model_picker
    for width in (1440, 900, 640):
        window.resize(width, 700)
        qtbot.waitUntil(_width_is(window, width), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: picker.width() >= picker.minimumSizeHint().width())
        shown = header.title_button.text()
        assert shown.endswith("…") and len(shown) < len(long.strip())
        assert long.startswith(shown[:-1])
        title_room = header.title_button.fontMetrics().horizontalAdvance(shown)
        assert title_room <= header.title_button.width()
        # the picker, the prompt button and the dot stay whole, inside the header
        assert header.dot.geometry().right() <= header.width()
        assert header.title_stack.geometry().right() < picker.geometry().left()
    assert long.strip() in header.title_button.toolTip()


def test_the_prompt_popover_has_no_square_corners(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot, qapp: QApplication
) -> None:
    d = driver(window)
    d.send("hello popover")
    d.wait_reply_done()
    with themed(qapp):
        for scheme in ("light", "dark"):
            apply_theme(qapp, scheme)  # type: ignore[arg-type]
            header = window.header
            header.open_prompt()
            popover = header.popover
            qtbot.waitUntil(popover.isVisible, timeout=WAIT_MS)
            assert popover.testAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
            mask = popover.mask()
            w, h = popover.width(), popover.height()
            for corner in (QPoint(0, 0), QPoint(w - 1, 0), QPoint(0, h - 1), QPoint(w - 1, h - 1)):
                assert not mask.contains(corner)  # the square corner outside the radius is cut
            for inside in (QPoint(w // 2, 0), QPoint(0, h // 2), QPoint(w // 2, h // 2)):
                assert mask.contains(inside)
            # the popover paints its own rounded card; outside the radius nothing at all
            image = popover.grab().toImage()
            assert image.pixelColor(w // 2, 4) == QColor(colors_of().alternate_base)
            assert image.pixelColor(0, 0).alpha() == 0
            popover.hide()


def test_the_model_picker_shows_a_chevron(window: MainWindow, qapp: QApplication) -> None:
    """Seen under Xvfb: the header's rounded model picker kept a square, shaded arrow
    button of the plain style at its right end. Now a chevron in the muted colour there."""
    with themed(qapp):
        for scheme in ("light", "dark"):
            apply_theme(qapp, scheme)
            picker = window.header.model_picker
            right_end = QRect(
                QPoint(picker.width() - 24, 4), QPoint(picker.width() - 5, picker.height() - 5)
            )
            hits = pixels_like(picker, right_end, colors_of().muted, tolerance=30)
            assert hits >= 8, scheme
