"""`ChatView`: the messages of one conversation, as a scrolling column of bubbles.

It mirrors a `MessageListModel` (inserts, removals, per-row changes, resets) and
follows the bottom while a reply grows, unless the user has scrolled up to read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal, SignalInstance
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop.models import MessageListModel
from desktop.views.message_widget import MessageWidget

Index = QModelIndex | QPersistentModelIndex
FOLLOW_SLACK = 24  # px from the bottom that still counts as "at the bottom"


class ChatView(QScrollArea):
    edit_requested = Signal(str)
    regenerate_requested = Signal(str)
    retry_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._content = QWidget(self)
        self._column = QVBoxLayout(self._content)
        self._column.setContentsMargins(12, 12, 12, 12)
        self._column.setSpacing(10)
        self.hint = QLabel(self._content)
        self.hint.setObjectName("emptyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self._column.addWidget(self.hint)
        self._column.addStretch(1)
        self.setWidget(self._content)
        self.widgets: list[MessageWidget] = []
        self.model: MessageListModel | None = None
        self.follow = True
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._range_changed)
        bar.valueChanged.connect(self._value_changed)
        self.set_hint("")

    # -- model binding ---------------------------------------------------------------
    def set_model(self, model: MessageListModel | None) -> None:
        if model is self.model:
            return
        if self.model is not None:
            for signal, slot in self._connections():
                signal.disconnect(slot)
        self.model = model
        if model is not None:
            for signal, slot in self._connections():
                signal.connect(slot)
        self._rebuild()

    def _connections(self) -> list[tuple[SignalInstance, Callable[..., Any]]]:
        assert self.model is not None
        m = self.model
        return [
            (m.modelReset, self._rebuild),
            (m.rowsInserted, self._inserted),
            (m.rowsRemoved, self._removed),
            (m.dataChanged, self._changed),
        ]

    def set_hint(self, text: str) -> None:
        """A line shown above the messages (e.g. while the backend starts)."""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _rebuild(self) -> None:
        for widget in self.widgets:
            widget.setParent(None)
            widget.deleteLater()
        self.widgets = []
        if self.model is not None:
            self._inserted(QModelIndex(), 0, self.model.rowCount() - 1)
        self.follow = True
        self.scroll_to_bottom()

    def _inserted(self, parent: Index, first: int, last: int) -> None:
        assert self.model is not None
        for row in range(first, last + 1):
            msg = self.model.message_at(row)
            widget = MessageWidget(msg, self._content)
            widget.set_note(self.model.note(msg.id))
            widget.edit_clicked.connect(self.edit_requested)
            widget.regenerate_clicked.connect(self.regenerate_requested)
            widget.retry_clicked.connect(self.retry_requested)
            # the hint is item 0 of the column; the stretch stays last
            self._column.insertWidget(1 + row, widget)
            self.widgets.insert(row, widget)
        self._update_actions()

    def _removed(self, parent: Index, first: int, last: int) -> None:
        for widget in self.widgets[first : last + 1]:
            widget.setParent(None)
            widget.deleteLater()
        del self.widgets[first : last + 1]
        self._update_actions()

    def _changed(self, top: Index, bottom: Index, roles: list[int] = ()) -> None:  # type: ignore[assignment]
        assert self.model is not None
        for row in range(top.row(), bottom.row() + 1):
            if 0 <= row < len(self.widgets):
                msg = self.model.message_at(row)
                self.widgets[row].set_message(msg, self.model.note(msg.id))
        if not roles or MessageListModel.StatusRole in roles or MessageListModel.NoteRole in roles:
            self._update_actions()

    def _update_actions(self) -> None:
        busy = bool(self.model and self.model.streaming())
        last = len(self.widgets) - 1
        for row, widget in enumerate(self.widgets):
            widget.set_actions(last=row == last, busy=busy)

    # -- following the stream ----------------------------------------------------------
    def scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self.follow:
            self.verticalScrollBar().setValue(maximum)

    def _value_changed(self, value: int) -> None:
        self.follow = value >= self.verticalScrollBar().maximum() - FOLLOW_SLACK
