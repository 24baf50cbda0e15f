"""`ChatActions`: what the user can ask of the shown conversation, in one place.

The menu's actions (Stop reply = Esc, Regenerate last reply = Ctrl+R, Edit last message =
Ctrl+E) are `QAction`s here; the window only puts them in its menu (a shortcut needs a
widget). Every message's buttons reach `act(kind, mid)` through one signal
(`MessageWidget.action_requested` -> `ChatView.action_requested`). Owned by the
`ChatController`, whose methods do the work.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.records import MessageAction

if TYPE_CHECKING:
    from desktop.controller import ChatController

log = logging.getLogger(__name__)


class ChatActions(QObject):
    #: The user wants to edit message `mid` (its current text follows) and resend it.
    edit_requested = Signal(str, str)

    def __init__(self, controller: ChatController) -> None:
        super().__init__(controller)
        self.controller = controller
        self.stop_action = QAction("&Stop reply", self)
        self.stop_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_action.triggered.connect(controller.stop)
        # enabled only while the shown conversation streams: otherwise Esc is the focused
        # widget's (the composer leaves edit mode with it)
        self.stop_action.setEnabled(False)
        controller.streaming_changed.connect(self.stop_action.setEnabled)
        self.regenerate_action = QAction("&Regenerate last reply", self)
        self.regenerate_action.setShortcut(QKeySequence("Ctrl+R"))
        self.regenerate_action.triggered.connect(self.regenerate_last)
        self.edit_action = QAction("&Edit last message", self)
        self.edit_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_action.triggered.connect(self.edit_last)
        self.delete_box: QMessageBox | None = None  # the open delete confirmation
        controller.branches.confirm_delete.connect(self._confirm_delete)

    @property
    def menu(self) -> list[QAction]:
        """The actions for the window's Chat menu, in order."""
        return [self.stop_action, self.regenerate_action, self.edit_action]

    def act(self, kind: MessageAction, mid: str) -> None:
        """A message's button: edit it (in the composer), regenerate or retry its reply."""
        c = self.controller
        if kind == "edit":
            msg = c.current_model.message(mid)
            if msg is not None:
                self.edit_requested.emit(mid, msg.content)
        elif kind == "switch":
            c.branches.switch(mid)
        elif kind == "delete":
            c.branches.ask_delete(mid)
        elif kind in ("regenerate", "retry"):
            c.turn_requested.emit()
            if kind == "regenerate":
                c.regenerate(mid)
            else:
                c.retry(mid)
        else:
            log.warning("unknown message action %r", kind)

    def _confirm_delete(self, mid: str, count: int) -> None:
        """Ask before deleting `count` messages (a red Delete button; Cancel is the default)."""
        box = QMessageBox(QApplication.activeWindow())
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete messages")
        box.setTextFormat(Qt.TextFormat.PlainText)
        what = "this message" if count == 1 else f"this message and the {count - 1} below it"
        box.setText(f"Delete {what}? {count} message{'s' if count != 1 else ''} will go.")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("dangerButton")
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(
            lambda _r: (
                self.controller.branches.delete(mid) if box.clickedButton() is delete else None
            )
        )
        self.delete_box = box
        box.open()

    def regenerate_last(self) -> None:
        """Regenerate (or retry) the conversation's last reply."""
        last = self.controller.current_model.last_assistant()
        if last is not None and not self.controller.is_streaming():
            self.act("retry", last.id)

    def edit_last(self) -> None:
        """Put the conversation's last user message in the composer for edit-and-resend."""
        users = [m for m in self.controller.current_model.messages if m.is_user]
        if users and not self.controller.is_streaming():
            self.act("edit", users[-1].id)
