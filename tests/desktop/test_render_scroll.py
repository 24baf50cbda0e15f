"""Scrolling: follow at the bottom, hold when scrolled up (with "jump to latest"), paging."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.views.chat_view import INITIAL_ROWS, MAX_WIDGETS, ChatView
from desktop.views.main_window import MainWindow
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def test_follow_hold_and_jump_to_latest(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.003)
    window.resize(600, 320)
    d = driver(window)
    view = window.chat_view
    bar = view.verticalScrollBar()
    text = "\n\n".join(f"- item **{i}**" for i in range(150))
    d.send(text, paste=True)
    qtbot.waitUntil(lambda: bar.maximum() > 200, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # following the stream
    assert not view.jump_button.isVisible()
    bar.setValue(0)  # the user scrolls up to read
    assert view.jump_button.isVisible() and not view.follow
    length = len(d.last_reply().content)
    qtbot.waitUntil(lambda: len(d.last_reply().content) > length + 100, timeout=WAIT_MS)
    assert bar.value() == 0  # it stays put
    qtbot.mouseClick(view.jump_button, Qt.MouseButton.LeftButton)
    assert view.follow and not view.jump_button.isVisible()
    grown = bar.maximum()
    qtbot.waitUntil(lambda: bar.maximum() > grown, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # following again
    d.wait_reply_done()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())


def history(n: int) -> list[Message]:
    return [
        Message(
            f"m{i}",
            "c",
            "user" if i % 2 == 0 else "assistant",
            f"message **{i}**\n\ntext",
            "complete",
            "",
        )
        for i in range(n)
    ]


def test_long_history_opens_at_the_end_and_pages_up_bounded(qtbot: QtBot) -> None:
    model = MessageListModel("c")
    model.set_messages(history(2000))
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    bar = view.verticalScrollBar()
    view.set_model(model)
    assert len(view.widgets) == INITIAL_ROWS
    assert view.widgets[-1].message.id == "m1999" and view.first_row == 2000 - INITIAL_ROWS
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and bar.maximum() > 0)
    for _ in range(8):  # the user scrolls to the top, again and again
        first = view.first_row
        top = view.widgets[0]
        bar.setValue(0)

        def paged_up(first: int = first) -> bool:
            return view.first_row < first

        qtbot.waitUntil(paged_up)
        assert top in view.widgets
    assert len(view.widgets) <= MAX_WIDGETS  # far widgets were dropped
    assert not view.at_end and view.jump_button.isVisible()
    rows = [w.message.id for w in view.widgets]
    assert rows == [f"m{i}" for i in range(view.first_row, view.end_row)]
    # a new message below does not pull the view down; jump brings it back
    model.append(Message("new", "c", "user", "new one", "complete", ""))
    assert view.widgets[-1].message.id != "new"
    view.jump_button.click()
    assert view.at_end and view.widgets[-1].message.id == "new"
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
