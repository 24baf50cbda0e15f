"""`ScrollAnchor` on its own: a column of fixed-height widgets in a real scroll area."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from desktop.views.scroll_anchor import ScrollAnchor


def column(qtbot: QtBot, rows: int) -> tuple[QScrollArea, list[QWidget]]:
    area = QScrollArea()
    qtbot.addWidget(area)
    content = QWidget()
    layout = QVBoxLayout(content)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    widgets = []
    for _ in range(rows):
        w = QWidget()
        w.setFixedHeight(100)
        layout.addWidget(w)
        widgets.append(w)
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.resize(200, 250)
    area.show()
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0)
    return area, widgets


def test_the_top_widget_stays_put_when_rows_come_above(qtbot: QtBot) -> None:
    area, widgets = column(qtbot, 10)
    bar = area.verticalScrollBar()
    anchor = ScrollAnchor(bar)
    bar.setValue(330)  # widget 3 is at the top, 30 px of it scrolled off
    anchor.hold_top(widgets)
    assert anchor.held
    content = area.widget()
    assert content is not None
    layout = content.layout()
    assert isinstance(layout, QVBoxLayout)
    for _ in range(2):  # two rows of 100 px added above
        extra = QWidget()
        extra.setFixedHeight(100)
        layout.insertWidget(0, extra)
    qtbot.waitUntil(lambda: widgets[3].y() == 500)
    anchor.restore(widgets)
    assert bar.value() == 530 and not anchor.restoring
    assert widgets[3].y() - bar.value() == -30  # where it was on screen


def test_release_and_a_dropped_widget_let_go(qtbot: QtBot) -> None:
    area, widgets = column(qtbot, 6)
    bar = area.verticalScrollBar()
    anchor = ScrollAnchor(bar)
    anchor.hold(widgets[1])
    anchor.release_if_in(widgets[2:])
    assert anchor.held  # not one of those
    anchor.release_if_in(widgets[:2])
    assert not anchor.held
    anchor.hold(widgets[1])
    bar.setValue(50)
    anchor.restore(widgets[2:])  # no longer in the column: nothing moves
    assert not anchor.held and bar.value() == 50
    anchor.hold(widgets[0])
    anchor.release()
    anchor.restore(widgets)
    assert bar.value() == 50
    bar.setValue(bar.maximum() + 1)
    anchor.hold_top([])  # nothing at the top: nothing held
    assert not anchor.held
