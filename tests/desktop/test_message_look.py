"""The message's look (issue 15): bubbles, the actions row on hover/focus, waiting dots."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.records import Message
from desktop.theme import DENSITIES
from desktop.views.message_widget import MessageWidget
from desktop.views.plain_body import PlainBody

PAD = DENSITIES["comfortable"]  # the default density: a bubble's padding


def _reply(**fields: object) -> Message:
    base = Message("r1", "c1", "assistant", "An answer.", "complete", "", siblings=("r1",))
    return replace(base, **fields)  # type: ignore[arg-type]


def test_actions_show_on_hover_and_keyboard_focus(qtbot: QtBot) -> None:
    widget = MessageWidget(_reply())
    qtbot.addWidget(widget)
    widget.set_actions(last=True, busy=False)
    widget.show()
    qtbot.waitExposed(widget)
    assert not widget.row_shown and widget.author.isHidden()  # no "Assistant" header
    height = widget.height()
    QApplication.sendEvent(widget, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert widget.row_shown and widget.height() == height  # no layout jump on hover
    QApplication.sendEvent(widget, QEvent(QEvent.Type.Leave))
    assert not widget.row_shown
    for button in (widget.copy_button, widget.regenerate_button, widget.delete_button):
        assert button.accessibleName() and button.toolTip()
        assert button.width() == button.height() == 28
    widget.activateWindow()
    widget.setFocus()  # one tab stop for the message; arrows walk through its actions
    qtbot.waitUntil(widget.hasFocus)
    assert widget.row_shown
    qtbot.keyClick(widget, Qt.Key.Key_Right)
    assert widget.copy_button.hasFocus()
    qtbot.keyClick(widget.copy_button, Qt.Key.Key_Right)
    assert widget.regenerate_button.hasFocus()
    qtbot.keyClick(widget.regenerate_button, Qt.Key.Key_Left)
    assert widget.copy_button.hasFocus() and widget.row_shown
    assert widget.copy_button.focusPolicy() != Qt.FocusPolicy.TabFocus  # not a tab stop


def test_branch_switcher_stays_visible(qtbot: QtBot) -> None:
    widget = MessageWidget(_reply(siblings=("r0", "r1", "r2")))
    qtbot.addWidget(widget)
    widget.show()
    assert widget.branches.isVisibleTo(widget) and widget.row_shown
    assert widget.branches.position.text() == "2/3"


def test_waiting_dots_until_the_first_token(qtbot: QtBot) -> None:
    widget = MessageWidget(_reply(content="", status="streaming"))
    qtbot.addWidget(widget)
    widget.show()
    assert widget.waiting.waiting and widget.waiting.isVisibleTo(widget)
    first = widget.waiting.text()
    qtbot.waitUntil(lambda: widget.waiting.text() != first)  # animated
    widget.set_message(_reply(content="", reasoning="hmm", status="streaming"))
    assert not widget.waiting.isVisibleTo(widget)  # "Thinking… N s" says it now
    assert widget.thinking is not None and widget.thinking.title.startswith("Thinking… ")
    widget.set_message(_reply(content="Hi", reasoning="hmm", status="streaming"))
    assert not widget.waiting.waiting
    assert widget.status.text() == ""  # no static "writing…"


def _shown_in_column(qtbot: QtBot, message: Message) -> MessageWidget:
    """`message` shown in a 700 px column."""
    widget = MessageWidget(message)
    qtbot.addWidget(widget)
    widget.resize(700, 200)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_user_message_is_a_bubble(qtbot: QtBot) -> None:
    long = "Hello there, this line is long enough to need the whole width. " * 3
    user = Message("u1", "c1", "user", long, "complete", "", siblings=("u1",))
    widget = _shown_in_column(qtbot, user)
    assert widget.bubble is not None and widget.bubble.maximumWidth() == int(700 * 0.85)
    qtbot.waitUntil(lambda: widget.bubble is not None and widget.bubble.width() > 500)  # wraps wide
    right = widget.bubble.geometry().right()
    assert right >= widget.width() - 2  # at the right of the column


def test_a_short_message_makes_a_short_bubble(qtbot: QtBot) -> None:
    # Seen under Xvfb: "Sort a dict please" sat in a bubble ~270 px wide, most of it empty.
    user = Message("u1", "c1", "user", "Sort a dict please", "complete", "", siblings=("u1",))
    widget = _shown_in_column(qtbot, user)
    assert widget.bubble is not None
    text = widget.body.fontMetrics().horizontalAdvance("Sort a dict please")
    qtbot.waitUntil(lambda: widget.bubble is not None and widget.bubble.width() < text + 50)
    assert widget.bubble.width() >= text + 2 * PAD.bubble_pad_x
    assert widget.bubble.geometry().right() >= widget.width() - 2  # still at the right
    body = widget.body
    assert isinstance(body, PlainBody)
    qtbot.waitUntil(lambda: bool(body.segments))  # laid out from the event loop
    segment = body.segments[0]
    qtbot.waitUntil(lambda: segment.height() > 0)
    assert segment.document().lineCount() == 1  # and on one line


def test_a_bubble_holds_its_text_and_nothing_above_it(qtbot: QtBot) -> None:
    # Seen under Xvfb: an empty status line sat above every bubble's text.
    user = Message("u1", "c1", "user", "Plain question", "complete", "", siblings=("u1",))
    widget = _shown_in_column(qtbot, user)
    assert widget.bubble is not None
    assert not widget.status.isVisibleTo(widget)
    assert widget.body.geometry().top() == PAD.bubble_pad_y
    assert widget.bubble.height() == widget.body.height() + 2 * PAD.bubble_pad_y
    widget.set_message(replace(user, status="failed", error="upstream said no"))
    assert widget.status.isVisibleTo(widget)  # a failure still says why


def test_a_slow_rate_keeps_its_decimal() -> None:
    # Seen under Xvfb: 4 tokens over 5 s showed as "0 tok/s".
    from desktop.records import Stats
    from desktop.views.message_meta import figures

    slow = Stats(first_token_ms=300, duration_ms=5300, completion_tokens=4)
    assert figures(slow)[0] == "0.8 tok/s"
    assert figures(Stats(first_token_ms=0, duration_ms=1000, completion_tokens=9))[0] == "9.0 tok/s"
    assert figures(Stats(first_token_ms=0, duration_ms=1000, completion_tokens=42))[0] == "42 tok/s"
