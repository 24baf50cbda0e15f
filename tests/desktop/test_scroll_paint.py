"""What the chat view paints as it follows a growing reply, and its slim scroll bar.

A view following a streaming reply scrolls each time the reply grows a line. Qt moves
what is on screen and paints only the strip scrolled in when the column is opaque and
nothing under it waits to be painted; otherwise it paints the whole view again, every
message shown, several times a second.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.theme import DARK, LIGHT, apply_theme
from desktop.views.chat_view import ChatView
from desktop.views.slim_scroll_bar import SlimScrollBar
from tests.desktop.test_render_math import themed
from tests.support.pixels import pixels_like


@pytest.fixture
def light(qapp: QApplication) -> Iterator[None]:
    """The light theme inside (the app's style, palette and stylesheet restored after)."""
    with themed(qapp):
        apply_theme(qapp, "light")
        yield


class PaintedArea(QObject):
    """Sums the area of the paint events `widget` receives."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.area = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            rect = event.rect()  # type: ignore[attr-defined]
            self.area += rect.width() * rect.height()
        return False


def history(n: int) -> list[Message]:
    return [
        Message(f"m{i}", "c", ("user", "assistant")[i % 2], f"line {i}\n\n" * 6, "complete", "")
        for i in range(n)
    ]


def shown_view(qtbot: QtBot, rows: list[Message]) -> tuple[ChatView, MessageListModel]:
    model = MessageListModel("c")
    model.set_messages(rows)
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_model(model)
    return view, model


def test_following_a_growing_reply_paints_the_new_lines_not_the_whole_view(
    light: None, qtbot: QtBot
) -> None:
    streaming = Message("r", "c", "assistant", "The answer", "streaming", "")
    view, model = shown_view(qtbot, [*history(9), streaming])
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    qtbot.wait(50)  # everything on screen painted once
    above = [w for w in view.widgets[:-1] if not w.visibleRegion().isEmpty()]
    assert above  # messages above the reply are on screen
    shown = sum(w.visibleRegion().boundingRect().height() * w.width() for w in above)
    painted = [PaintedArea(w) for w in above]
    content = view.widget()
    assert content is not None
    column = PaintedArea(content)
    visible = view.viewport().rect()
    steps = 5
    for step in range(steps):  # the reply grows a paragraph a time, the view follows
        top = bar.maximum()
        model.append_delta("r", f"\n\nMore text, paragraph {step}.")

        def followed(top: int = top) -> bool:
            return bar.maximum() > top and bar.value() == bar.maximum()

        qtbot.waitUntil(followed)
        qtbot.wait(20)
    assert not above[-1].visibleRegion().isEmpty()  # (still on screen, moved up)
    # what was on screen moved up as pixels: the messages above are not painted again,
    # but for a line's edge (all of them were, at every step, before the column was
    # opaque, painted before it scrolled, and grew before it placed its messages)
    again = sum(p.area for p in painted)
    assert again < shown / 10, (again, shown)
    # the column paints the reply's new lines and the strip scrolled in: less than
    # half the view a step
    whole = visible.width() * visible.height()
    assert column.area < steps * whole / 2, (column.area, whole)


def test_the_slim_bar_draws_a_handle_only_when_there_is_something_to_scroll(
    light: None, qtbot: QtBot
) -> None:
    view, model = shown_view(qtbot, history(1))
    bar = view.verticalScrollBar()
    assert isinstance(bar, SlimScrollBar)
    whole = QRect(0, 0, bar.width(), bar.height())
    assert bar.maximum() == 0
    assert pixels_like(bar, whole, LIGHT.border, 12) == 0  # nothing to scroll: no handle
    model.set_messages(history(20))
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    handle = bar.handle_rect()
    assert handle.height() >= 28 and handle.bottom() > bar.height() * 3 // 4  # at the end
    inside = handle.adjusted(2, 6, -2, -6)
    assert pixels_like(bar, inside, LIGHT.border, 12) > inside.width() * inside.height() // 2
    above = QRect(0, 0, bar.width(), handle.top() - 1)
    assert pixels_like(bar, above, LIGHT.border, 12) == 0


def test_the_column_and_the_bar_strip_take_the_page_colour_of_each_theme(
    light: None, qapp: QApplication, qtbot: QtBot
) -> None:
    view, _model = shown_view(qtbot, history(1))
    bar = view.verticalScrollBar()
    strip = bar.parentWidget()
    assert strip is not None

    def page_coloured(colour: str) -> bool:
        corner = QRect(2, view.viewport().height() - 12, 10, 10)  # below the message
        column = pixels_like(view.viewport(), corner, colour, 3) == 100
        return column and pixels_like(strip, QRect(0, 0, 4, 10), colour, 3) == 40

    qtbot.waitUntil(lambda: page_coloured(LIGHT.chat_bg))
    apply_theme(qapp, "dark")
    qtbot.waitUntil(lambda: page_coloured(DARK.chat_bg))
    apply_theme(qapp, "light")
    qtbot.waitUntil(lambda: page_coloured(LIGHT.chat_bg))
