"""`Composer`: the input box and the Send/Stop button.

Enter sends (`send_requested`, or `edit_submitted` in edit mode), Shift+Enter starts a
new line, Esc leaves edit mode (stopping a reply is the controller's Esc). The draft is
only cleared by `clear_draft()`, i.e. once the backend has accepted it, so a refused
message is never lost.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.safe_text import plain


class InputBox(QPlainTextEdit):
    submit = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submit.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    #: The user sends the draft as a new message.
    send_requested = Signal(str)
    #: The user resends message `mid` with the draft as its new text: (mid, text).
    edit_submitted = Signal(str, str)
    #: The Stop button was pressed (a reply is streaming).
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.editing_id = ""
        self._stashed_draft = ""
        self._streaming = False
        self._ready = False

        self.edit_label = plain(QLabel(self))
        self.edit_label.setObjectName("editLabel")
        self.edit_label.hide()
        self.input = InputBox(self)
        self.input.setObjectName("input")
        self.input.setPlaceholderText("Type a message — Enter sends, Shift+Enter for a new line")
        self.input.setTabChangesFocus(True)
        self.input.setMaximumHeight(96)
        self.input.submit.connect(self._submit)
        # Esc leaves edit mode, wherever the focus is; never while a reply streams (then
        # Esc is the controller's Stop: only one of the two is enabled at a time)
        self.cancel_edit_action = QAction("Cancel edit", self)
        self.cancel_edit_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_edit_action.triggered.connect(self.cancel_edit)
        self.addAction(self.cancel_edit_action)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("sendButton")
        self.send_button.clicked.connect(self._button_clicked)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit_label)
        layout.addLayout(row)
        self._refresh()

    # -- state from the controller -------------------------------------------------------
    def set_ready(self, ready: bool) -> None:
        self._ready = ready
        self._refresh()

    def set_streaming(self, streaming: bool) -> None:
        self._streaming = streaming
        self._refresh()

    @property
    def streaming(self) -> bool:
        return self._streaming

    def _refresh(self) -> None:
        self.send_button.setText("Stop" if self._streaming else "Send")
        self.send_button.setToolTip("Stop the reply (Esc)" if self._streaming else "Send (Enter)")
        self.send_button.setEnabled(self._ready)
        self.cancel_edit_action.setEnabled(bool(self.editing_id) and not self._streaming)

    # -- draft ---------------------------------------------------------------------------
    @property
    def draft(self) -> str:
        return self.input.toPlainText()

    def set_draft(self, text: str) -> None:
        self.input.setPlainText(text)
        self.input.moveCursor(self.input.textCursor().MoveOperation.End)

    def clear_draft(self) -> None:
        """The draft was accepted: clear it (and leave edit mode)."""
        self.input.clear()
        self.cancel_edit()

    def begin_edit(self, mid: str, text: str) -> None:
        """Put message `mid` in the box for edit-and-resend; the current draft waits."""
        if not self.editing_id:
            self._stashed_draft = self.draft
        self.editing_id = mid
        self.edit_label.setText("Editing a sent message — Enter resends it, Esc cancels.")
        self.edit_label.show()
        self.set_draft(text)
        self._refresh()
        self.focus()

    def cancel_edit(self) -> None:
        """Leave edit mode; the draft from before comes back."""
        if self.editing_id:
            self.editing_id = ""
            self.edit_label.hide()
            self.set_draft(self._stashed_draft)
            self._stashed_draft = ""
            self._refresh()

    def focus(self) -> None:
        self.input.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- input ---------------------------------------------------------------------------
    def _submit(self) -> None:
        if not self._ready or self._streaming or not self.draft.strip():
            return
        if self.editing_id:
            self.edit_submitted.emit(self.editing_id, self.draft)
        else:
            self.send_requested.emit(self.draft)

    def _button_clicked(self) -> None:
        if self._streaming:
            self.stop_requested.emit()
        else:
            self._submit()
        self.focus()
