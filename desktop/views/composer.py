"""`Composer`: the input box with its round Send/Stop button inside it.

Enter sends (`send_requested`, or `edit_submitted` in edit mode) and Shift+Enter starts a
new line; with `send_with_ctrl_enter` it is Ctrl+Enter that sends and Enter a new line. Esc
leaves edit mode (stopping a reply is the controller's Esc). The draft is only cleared by
`clear_draft()`, i.e. once the backend has accepted it, so a refused message is never lost.
Each conversation has its own draft (`show_conversation()`); they are kept in `UiSettings`
so they survive a restart. The box is one line when empty and grows with its text up to
`MAX_SHARE` of the window's height, then scrolls. Enter while a reply streams shows a short
hint instead of doing nothing silently.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFocusEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.prefs.ui import UiSettings
from desktop.safe_text import plain
from desktop.theme import SCHEMES, current_theme, theme_changes
from desktop.views.icons import send_icon, stop_icon
from desktop.views.widget_utils import restyle

#: The box grows up to this share of the window's height (DESIGN.md: 40%).
MAX_SHARE = 0.4
#: How long the "cannot send now" hint stays.
HINT_MS = 4000
STREAMING_HINT = "A reply is still streaming: press Esc (or Stop) to end it, then send."
PLACEHOLDER = "Message SSE Chat"
ENTER_KEYS = "Enter sends, Shift+Enter makes a new line"
CTRL_KEYS = "Ctrl+Enter sends, Enter makes a new line"


class InputBox(QPlainTextEdit):
    submit = Signal()
    focus_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctrl_enter_sends = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
            shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
            if shift or (self.ctrl_enter_sends and not ctrl):
                self.insertPlainText("\n")
            else:
                self.submit.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.focus_changed.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_changed.emit(False)


class Composer(QWidget):
    #: The user sends the draft as a new message.
    send_requested = Signal(str)
    #: The user resends message `mid` with the draft as its new text: (mid, text).
    edit_submitted = Signal(str, str)
    #: The Stop button was pressed (a reply is streaming).
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None, ui: UiSettings | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.ui = ui
        self.editing_id = ""
        self.conversation_id = ""
        self._stashed_draft = ""
        self._loose = ""  # the draft of the no-conversation view (never stored)
        self._sending_from: str | None = None
        self._streaming = False
        self._ready = False

        self.edit_label = plain(QLabel(self))
        self.edit_label.setObjectName("editLabel")
        self.edit_label.hide()
        self.hint = plain(QLabel(self))
        self.hint.setObjectName("composerHint")
        self.hint.setAccessibleName("Composer hint")
        self.hint.hide()
        self._hint_timer = QTimer(self)
        self._hint_timer.setSingleShot(True)
        self._hint_timer.setInterval(HINT_MS)
        self._hint_timer.timeout.connect(self.hint.hide)

        self.box = QFrame(self)
        self.box.setObjectName("composerBox")
        self.input = InputBox(self.box)
        self.input.setObjectName("input")
        self.input.setAccessibleName("Message")
        self.input.setTabChangesFocus(True)
        self.input.setFrameShape(QFrame.Shape.NoFrame)
        self.input.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.input.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.input.submit.connect(self._submit)
        self.input.focus_changed.connect(lambda on: restyle(self.box, focused=on))
        self.input.document().documentLayout().documentSizeChanged.connect(self.fit)
        # Esc leaves edit mode, wherever the focus is; never while a reply streams (then
        # Esc is the controller's Stop: only one of the two is enabled at a time)
        self.cancel_edit_action = QAction("Cancel edit", self)
        self.cancel_edit_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_edit_action.triggered.connect(self.cancel_edit)
        self.addAction(self.cancel_edit_action)
        self.send_button = QToolButton(self.box)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.send_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.send_button.clicked.connect(self._button_clicked)

        row = QHBoxLayout(self.box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit_label)
        layout.addWidget(self.box)
        layout.addWidget(self.hint)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme_changes(app).connect(self._theme_changed)  # a method: gone with the composer
        self.set_ctrl_enter_sends(ui.send_with_ctrl_enter if ui is not None else False)
        self._refresh()
        self.fit()

    # -- state from the controller -------------------------------------------------------
    def set_ready(self, ready: bool) -> None:
        self._ready = ready
        self._refresh()

    def set_streaming(self, streaming: bool) -> None:
        self._streaming = streaming
        if not streaming:
            self.hint.hide()
        self._refresh()

    def set_ctrl_enter_sends(self, on: bool) -> None:
        self.input.ctrl_enter_sends = on
        self.input.setPlaceholderText(PLACEHOLDER)
        self.input.setToolTip(CTRL_KEYS if on else ENTER_KEYS)
        self.input.setAccessibleDescription(CTRL_KEYS if on else ENTER_KEYS)
        self._refresh()

    def _theme_changed(self, _scheme: str) -> None:
        self._refresh()

    @property
    def streaming(self) -> bool:
        return self._streaming

    def _refresh(self) -> None:
        self.send_button.setText("Stop" if self._streaming else "Send")
        key = "Ctrl+Enter" if self.input.ctrl_enter_sends else "Enter"
        tip = "Stop the reply (Esc)" if self._streaming else f"Send ({key})"
        self.send_button.setToolTip(tip)
        self.send_button.setAccessibleName("Stop" if self._streaming else "Send")
        self.send_button.setAccessibleDescription(tip)
        self.send_button.setEnabled(self._ready)
        app = QApplication.instance()
        scheme = current_theme(app)[1] if isinstance(app, QApplication) else None
        color = QColor(SCHEMES[scheme or "light"].accent_text)
        self.send_button.setIcon(stop_icon(color) if self._streaming else send_icon(color))
        restyle(self.send_button, streaming=self._streaming)
        self.cancel_edit_action.setEnabled(bool(self.editing_id) and not self._streaming)

    # -- size ----------------------------------------------------------------------------
    def fit(self, *_args: object) -> None:
        """One line when empty, as many as the text has up to `MAX_SHARE` of the window."""
        box = self.input
        lines = max(1, int(box.document().documentLayout().documentSize().height()))
        margins = box.contentsMargins()
        chrome = (
            2 * box.document().documentMargin()
            + margins.top()
            + margins.bottom()
            + 2 * box.frameWidth()
        )
        wanted = int(lines * box.fontMetrics().lineSpacing() + chrome)
        single = int(box.fontMetrics().lineSpacing() + chrome)
        top = self.window()
        limit = int(top.height() * MAX_SHARE) if top is not self else wanted
        height = max(single, min(wanted, limit))
        if box.height() != height or box.minimumHeight() != height:
            box.setFixedHeight(height)

    # -- drafts --------------------------------------------------------------------------
    @property
    def draft(self) -> str:
        return self.input.toPlainText()

    def set_draft(self, text: str) -> None:
        self.input.setPlainText(text)
        self.input.moveCursor(self.input.textCursor().MoveOperation.End)

    def show_conversation(self, cid: str) -> None:
        """Keep the draft of the conversation shown so far and show `cid`'s own. (While a
        message sent from the no-conversation view is on its way, its text stays: the
        conversation shown next is the one being made for it.)"""
        if cid == self.conversation_id:
            return
        self.cancel_edit()
        carry = self.conversation_id == "" and self._sending_from == ""
        if self.conversation_id:
            self._store(self.conversation_id, self.draft)
        else:
            self._loose = "" if carry else self.draft
        self.conversation_id = cid
        if not carry:
            self.set_draft(self.ui.draft(cid) if self.ui is not None and cid else self._loose)
        self.hint.hide()

    def send_failed(self) -> None:
        """The message sent was refused: its text stays where it is."""
        self._sending_from = None

    def save_draft(self) -> None:
        """Store the shown draft (before the window closes)."""
        if not self.editing_id:
            self._store(self.conversation_id, self.draft)

    def _store(self, cid: str, text: str) -> None:
        if self.ui is not None:
            self.ui.set_draft(cid, text)

    def clear_draft(self) -> None:
        """The draft was accepted: clear it (and leave edit mode)."""
        source, self._sending_from = self._sending_from, None
        if source:
            self._store(source, "")
        if source is None or source in ("", self.conversation_id):
            self.input.clear()
            self.cancel_edit()
        self._store(self.conversation_id, "" if not self.editing_id else self.draft)

    def begin_edit(self, mid: str, text: str) -> None:
        """Put message `mid` in the box for edit-and-resend; the current draft waits."""
        if not self.editing_id:
            self._stashed_draft = self.draft
        self.editing_id = mid
        self.edit_label.setText("Editing a sent message: Enter resends it, Esc cancels.")
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
    def show_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.show()
        self._hint_timer.start()

    def _submit(self) -> None:
        if not self.draft.strip():
            return
        if self._streaming:
            self.show_hint(STREAMING_HINT)
            return
        if not self._ready:
            return
        self._sending_from = self.conversation_id
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
