"""`Sidebar`: "New chat", the search field and the conversation list.

The list is a `QListView` on `ConversationListModel` painted by `ConversationDelegate`:
pinned conversations first, then date groups. Each row has a hover "⋯" button and a
right-click menu (Rename, Pin/Unpin, Export..., Delete); F2 renames in place, Del deletes
(after asking). The search field (Ctrl+K focuses it, Esc clears it) swaps the list for
the results (`desktop.views.search_results`) while it holds text.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.models import ConversationListModel
from desktop.models.conversations import UNTITLED
from desktop.safe_text import plain
from desktop.theme import SIDEBAR
from desktop.views.conversation_delegate import ConversationDelegate, more_rect


class ConversationList(QListView):
    delete_pressed = Signal()
    #: The hover "⋯" button of a row was clicked: (row, where to open the menu).
    more_clicked = Signal(int, QPoint)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete and self.state() != self.State.EditingState:
            self.delete_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        if (
            index.isValid()
            and event.button() == Qt.MouseButton.LeftButton
            and more_rect(self.visualRect(index), index).contains(pos)
        ):
            self.more_clicked.emit(index.row(), self.viewport().mapToGlobal(pos))
            event.accept()
            return
        super().mousePressEvent(event)

    def relayout(self, *_args: object) -> None:
        """Row heights depend on their neighbours (section labels): lay out again."""
        self.scheduleDelayedItemsLayout()


class Sidebar(QWidget):
    new_requested = Signal()
    selected = Signal(str)
    delete_requested = Signal(str)
    pin_toggled = Signal(str)
    export_requested = Signal(str)
    #: The collapse button was clicked.
    collapse_requested = Signal()

    def __init__(self, model: ConversationListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setMinimumWidth(SIDEBAR.min_width)
        self.setMaximumWidth(SIDEBAR.max_width)
        self.model = model
        self.list = ConversationList(self)
        self.list.setObjectName("conversationList")
        self.list.setAccessibleName("Conversations")
        self.list.setModel(model)
        self.list.setItemDelegate(ConversationDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.more_clicked.connect(self._more_clicked)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.list.delete_pressed.connect(self.delete_current)

        self.new_button = QPushButton("New chat", self)
        self.new_button.setObjectName("newChat")
        self.new_button.setToolTip("New chat (Ctrl+N)")
        self.new_button.clicked.connect(self.new_requested)
        self.collapse_button = QToolButton(self)
        self.collapse_button.setObjectName("collapseSidebar")
        self.collapse_button.setText("«")
        self.collapse_button.setToolTip("Hide the sidebar (Ctrl+B)")
        self.collapse_button.setAccessibleName("Hide the sidebar")
        self.collapse_button.clicked.connect(self.collapse_requested)
        self.search = QLineEdit(self)
        self.search.setObjectName("sidebarSearch")
        self.search.setPlaceholderText("Search (Ctrl+K)")
        self.search.setAccessibleName("Search conversations")
        self.search.setClearButtonEnabled(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.list)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.new_button, 1)
        top.addWidget(self.collapse_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SIDEBAR.pad // 2, SIDEBAR.pad // 2, 0, SIDEBAR.pad // 2)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addWidget(self.stack, 1)
        model.modelReset.connect(self._reselect)
        model.rowsInserted.connect(self._reselect)
        model.rowsRemoved.connect(self._reselect)
        for changed in (
            model.rowsInserted,
            model.rowsRemoved,
            model.rowsMoved,
            model.layoutChanged,
            model.modelReset,
            model.dataChanged,
        ):
            changed.connect(self.list.relayout)
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
        self.new_button.setEnabled(self._ready)

    # -- the row menu --------------------------------------------------------------------
    def menu_for(self, cid: str) -> QMenu:
        """The Rename / Pin / Export / Delete menu of conversation `cid`."""
        menu = QMenu(self)
        menu.setObjectName("conversationMenu")
        pinned = cid in self.model.pinned
        entries: list[tuple[str, str, object]] = [
            ("rename", "Rename", lambda: self.rename(cid)),
            ("pin", "Unpin" if pinned else "Pin", lambda: self.pin_toggled.emit(cid)),
            ("export", "Export…", lambda: self.export_requested.emit(cid)),
            ("delete", "Delete…", lambda: self.delete(cid)),
        ]
        for name, text, slot in entries:
            action = QAction(text, menu)
            action.setObjectName(name)
            action.triggered.connect(slot)
            action.setEnabled(self._ready)
            if name == "rename":
                action.setShortcut("F2")
            elif name == "delete":
                menu.addSeparator()
                action.setShortcut("Del")
            menu.addAction(action)
        return menu

    def _open_menu(self, row: int, where: QPoint) -> None:
        cid = str(self.model.index(row).data(ConversationListModel.IdRole))
        menu = self.menu_for(cid)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(where)

    def _more_clicked(self, row: int, where: QPoint) -> None:
        self._open_menu(row, where)

    def _context_menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.list.indexAt(pos)
        if index.isValid():
            self._open_menu(index.row(), self.list.viewport().mapToGlobal(pos))

    # -- actions -------------------------------------------------------------------------
    def rename(self, cid: str) -> None:
        row = self.model.row_of(cid)
        if row >= 0:
            self.list.setFocus()
            self.list.edit(self.model.index(row))

    def rename_current(self) -> None:
        self.rename(self._current)

    def delete(self, cid: str) -> None:
        conv = self.model.get(cid)
        if conv is not None and self.confirm_delete(conv.title or UNTITLED):
            self.delete_requested.emit(conv.id)

    def delete_current(self) -> None:
        self.delete(self._current)

    def confirm_delete(self, title: str) -> bool:
        """Ask before deleting (tests replace this)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete conversation",
            f"Delete “{title}”?\n\nIts messages, every branch and any reply still being "
            "written go with it. This cannot be undone.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        plain(box)  # the title is the user's or a model's text, never HTML
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("dangerButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        try:
            box.exec()
            return box.clickedButton() is delete
        finally:
            box.deleteLater()
