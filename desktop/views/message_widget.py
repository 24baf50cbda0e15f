"""`MessageWidget`: one message in the chat view, user or assistant.

A user message is plain text (a `PlainBody`: never HTML, laid out once, in pieces). An
assistant message is a `MarkdownBody`, rendered as Markdown while it streams.
Assistant messages have a Copy button (the raw Markdown) and every message has a
"Copy message" context action.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.records import Message, MessageAction
from desktop.safe_text import plain
from desktop.views.branch_switcher import BranchSwitcher
from desktop.views.inline_editor import InlineEditor
from desktop.views.markdown_body import MarkdownBody
from desktop.views.message_meta import failure_text, make_meta_label, show_meta
from desktop.views.plain_body import PlainBody
from desktop.views.thinking import ThinkingBlock
from desktop.views.widget_utils import restyle

STATUS_TEXT = {
    "streaming": "writing…",
    "cancelled": "Stopped — the reply was cut short.",
    "failed": "The reply failed.",
    "interrupted": "Interrupted — the app closed while this reply was written.",
}


class MessageWidget(QFrame):
    #: A button asks for (`MessageAction`, this message's id): edit, regenerate, retry.
    action_requested = Signal(str, str)
    #: A long user message was unfolded (True) or folded (False) by the user.
    fold_toggled = Signal(bool)
    #: The user edited this message in place: (its id, the new text) to resend.
    edit_submitted = Signal(str, str)

    def __init__(self, message: Message, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message")
        self.setProperty("role", "user" if message.is_user else "assistant")
        self.message = message
        self._note = ""

        self.author = QLabel("You" if message.is_user else "Assistant", self)
        self.author.setObjectName("messageAuthor")
        self.status = plain(QLabel(self))  # a failure quotes the upstream's own words
        self.status.setObjectName("messageStatus")
        self.status.setWordWrap(True)  # a failure says why, at length
        self.meta = make_meta_label(self)  # "model · provider", under the text
        self.body: PlainBody | MarkdownBody
        self.thinking: ThinkingBlock | None = None
        if message.is_user:
            self.body = PlainBody(self)
            self.body.toggled.connect(self.fold_toggled)
        else:
            self.thinking = ThinkingBlock(self)
            self.body = MarkdownBody(self)

        self.editor: InlineEditor | None = None  # while the message is edited in place
        self.branches = BranchSwitcher(self)
        self.branches.switch_to.connect(partial(self.action_requested.emit, "switch"))
        self.edit_button = QPushButton("Edit", self)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.retry_button = QPushButton("Retry", self)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the message as Markdown")
        self.copy_button.clicked.connect(self.copy_markdown)
        for button in (
            self.edit_button,
            self.regenerate_button,
            self.retry_button,
            self.copy_button,
        ):
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.hide()
        actions: tuple[tuple[QPushButton, MessageAction], ...] = (
            (self.edit_button, "edit"),
            (self.regenerate_button, "regenerate"),
            (self.retry_button, "retry"),
        )
        for button, kind in actions:
            button.clicked.connect(partial(self._request, kind))

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.author)
        header.addWidget(self.status, 1)
        header.addWidget(self.branches)
        header.addWidget(self.retry_button)
        header.addWidget(self.regenerate_button)
        header.addWidget(self.edit_button)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.addLayout(header)
        if self.thinking is not None:
            layout.addWidget(self.thinking)
        layout.addWidget(self.body)
        layout.addWidget(self.meta)
        self.set_message(message)

    def _request(self, kind: MessageAction) -> None:
        self.action_requested.emit(kind, self.message.id)

    @property
    def text(self) -> str:
        """The message's text as the model has it (the body may show it as Markdown)."""
        return self.message.content

    def set_message(self, message: Message, note: str = "") -> None:
        self.message = message
        if isinstance(self.body, PlainBody):
            self.body.setText(message.content.rstrip())
        else:
            if self.thinking is not None:
                self.thinking.set_message(message)
            final = not message.is_streaming
            self.body.set_text(message.content, final=final)
            if final:
                self.body.finish()
        self.copy_button.setVisible(not message.is_user and bool(message.content))
        self.branches.set_message(message)
        show_meta(self.meta, message)
        self.set_note(note)

    def reveal(self) -> None:
        """The widget is (partly) on screen: a reply renders the parts now in view."""
        if isinstance(self.body, MarkdownBody):
            self.body.reveal()
        if self.thinking is not None:
            self.thinking.reveal()

    def copy_markdown(self) -> None:
        """Put the message's raw text (Markdown for a reply; the answer only, never its
        reasoning) on the clipboard."""
        QGuiApplication.clipboard().setText(self.message.content)

    def copy_with_reasoning(self) -> None:
        """The reply's reasoning, as a quote under "Reasoning:", then its answer."""
        quoted = "\n".join(
            f"> {line}" if line else ">" for line in self.message.reasoning.split("\n")
        )
        QGuiApplication.clipboard().setText(f"Reasoning:\n\n{quoted}\n\n{self.message.content}")

    def context_menu(self) -> QMenu:
        """The message's context menu (the caller runs and deletes it)."""
        menu = QMenu(self)
        label = "Copy message" if self.message.is_user else "Copy message as Markdown"
        menu.addAction(label, self.copy_markdown)
        if self.message.reasoning:
            menu.addAction("Copy with reasoning", self.copy_with_reasoning)
        menu.addSeparator()
        menu.addAction("Delete…", partial(self._request, "delete"))
        return menu

    # -- editing in place ----------------------------------------------------------------
    def begin_edit(self) -> None:
        """Turn this user message into an editor (Enter resends, Esc cancels)."""
        if not self.message.is_user:
            return
        if self.editor is None:
            self.editor = InlineEditor(self)
            self.editor.submitted.connect(self._edit_done)
            self.editor.cancelled.connect(self.end_edit)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(layout.indexOf(self.body), self.editor)
        self.body.hide()
        self.editor.start(self.message.content)

    def end_edit(self) -> None:
        if self.editor is not None:
            self.editor.hide()
            self.editor.deleteLater()
            self.editor = None
        self.body.show()

    def _edit_done(self, text: str) -> None:
        self.edit_submitted.emit(self.message.id, text)
        self.end_edit()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu()
        menu.exec(event.globalPos())
        menu.deleteLater()

    def set_note(self, note: str) -> None:
        text = note or failure_text(self.message) or STATUS_TEXT.get(self.message.status, "")
        if note:
            text = f"{note} — the reply may be incomplete."
        severity = "error" if note or self.message.status in ("failed", "interrupted") else ""
        self.status.setText(text)
        restyle(self.status, severity=severity)
        self._note = note

    def set_actions(self, *, last: bool, busy: bool) -> None:
        """Show the buttons that make sense: `last` = the conversation's last message,
        `busy` = a reply in this conversation is streaming."""
        msg = self.message
        self.edit_button.setVisible(msg.is_user and not busy)
        needs_retry = bool(self._note) or msg.status in ("failed", "interrupted")
        self.retry_button.setVisible(
            not msg.is_user and last and needs_retry and (bool(self._note) or not busy)
        )
        self.regenerate_button.setVisible(not msg.is_user and not busy and not needs_retry)
