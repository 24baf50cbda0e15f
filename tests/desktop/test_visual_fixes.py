"""Seen defects of the window's look (issue 15): the gap under a user's bubble, the chat
header's title that elides, the system prompt popover's corners."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
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
    column = view.widget().layout()
    assert column is not None
    qtbot.waitUntil(lambda: user.body.height() > 0, timeout=WAIT_MS)
    bubble_bottom = user.bubble.mapTo(view.widget(), QPoint(0, user.bubble.height())).y()
    # the bubble ends the message: the reply starts one column spacing (16 px) below it
    assert reply.geometry().top() - bubble_bottom == column.spacing()
    # the text sits in the bubble at its padding (no empty status line above it)
    body_top = user.body.mapTo(user.bubble, QPoint(0, 0)).y()
    body_bottom = body_top + user.body.height()
    assert body_top == 10 and user.bubble.height() - body_bottom == 10
    # the actions are beside the bubble, shown on hover as before
    assert user.actions_row.geometry().right() < user.bubble.geometry().left()
