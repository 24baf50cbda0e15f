"""`Sidebar`: the conversation list with New, Rename and Delete.

Rename edits the title in place (F2, double-click or the button); Delete asks first.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models import ConversationListModel
from desktop.models.conversations import UNTITLED
from desktop.safe_text import plain


class ConversationList(QListView):
    delete_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete and self.state() != self.State.EditingState:
            self.delete_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class Sidebar(QWidget):
    new_requested = Signal()
    selected = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, model: ConversationListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.model = model
        self.list = ConversationList(self)
        self.list.setObjectName("conversationList")
        self.list.setModel(model)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.list.delete_pressed.connect(self.delete_current)

        self.new_button = QPushButton("New", self)
        self.new_button.setToolTip("New conversation (Ctrl+N)")
        self.rename_button = QPushButton("Rename", self)
        self.rename_button.setToolTip("Rename (F2)")
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setToolTip("Delete (Del)")
        self.new_button.clicked.connect(self.new_requested)
        self.rename_button.clicked.connect(self.rename_current)
        self.delete_button.clicked.connect(self.delete_current)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.new_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        model.modelReset.connect(self._reselect)
        model.rowsInserted.connect(self._reselect)
        model.rowsRemoved.connect(self._reselect)
        self._current = ""
        self._ready = False
        self._update_buttons()

    @property
    def current_id(self) -> str:
        return self._current

    @property
    def renaming(self) -> bool:
        """A title is being edited in place (the focus stays there)."""
        return self.list.state() == QAbstractItemView.State.EditingState

    def show_current(self, cid: str) -> None:
        """Select `cid` in the list without announcing it (the controller chose it)."""
        self._current = cid
        self._reselect()

    def _reselect(self) -> None:
        row = self.model.row_of(self._current) if self._current else -1
        selection = self.list.selectionModel()
        blocked = selection.blockSignals(True)
        if row >= 0:
            index = self.model.index(row)
            selection.select(index, selection.SelectionFlag.ClearAndSelect)
            selection.setCurrentIndex(index, selection.SelectionFlag.NoUpdate)
            self.list.scrollTo(index)
        else:
            selection.clearSelection()
        selection.blockSignals(blocked)
        self.list.viewport().update()
        self._update_buttons()

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes:
            cid = str(indexes[0].data(ConversationListModel.IdRole))
            if cid != self._current:
                self._current = cid
                self.selected.emit(cid)
        self._update_buttons()

    def set_ready(self, ready: bool) -> None:
        """Enable the buttons once there is a backend to act on."""
        self._ready = ready
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self._ready and bool(self._current) and self.model.row_of(self._current) >= 0
        self.new_button.setEnabled(self._ready)
        self.rename_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def rename_current(self) -> None:
        row = self.model.row_of(self._current)
        if row >= 0:
            self.list.setFocus()
            self.list.edit(self.model.index(row))

    def delete_current(self) -> None:
        conv = self.model.get(self._current)
        if conv is not None and self.confirm_delete(conv.title or UNTITLED):
            self.delete_requested.emit(conv.id)

    def confirm_delete(self, title: str) -> bool:
        """Ask before deleting (tests replace this)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete conversation",
            f"Delete “{title}” and all its messages? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        plain(box)  # the title is the user's or a model's text, never HTML
        box.setDefaultButton(QMessageBox.StandardButton.No)
        try:
            return box.exec() == QMessageBox.StandardButton.Yes
        finally:
            box.deleteLater()
