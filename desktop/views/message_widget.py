"""`MessageWidget`: one message in the chat view, user or assistant.

A user message is plain text (a `PlainBody`: never HTML, laid out once, in pieces). An
assistant message is a `MarkdownBody`, rendered as Markdown while it streams.
Assistant messages have a Copy button (the raw Markdown) and every message has a
"Copy message" context action.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QEnterEvent,
    QFocusEvent,
    QGuiApplication,
    QKeyEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFrame,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.records import Message, MessageAction
from desktop.safe_text import plain
from desktop.theme import DensityMetrics, current_density
from desktop.views.branch_switcher import BranchSwitcher
from desktop.views.inline_editor import InlineEditor
from desktop.views.markdown_body import MarkdownBody
from desktop.views.message_meta import META_SCALE, failure_text, make_meta_label, show_meta
from desktop.views.plain_body import PlainBody
from desktop.views.thinking import ThinkingBlock
from desktop.views.waiting import WaitingDots
from desktop.views.widget_utils import rescale_after_zoom, restyle

ACTION_SIZE = 28  # DESIGN.md: 28 px action buttons
BUBBLE_SHARE = 0.85  # DESIGN.md: of the column
BUBBLE_STRETCH = 100  # against the stretch at its left: the bubble takes the room first
STATUS_TEXT = {
    "cancelled": "Stopped — the reply was cut short.",
    "failed": "The reply failed.",
    "interrupted": "Interrupted — the app closed while this reply was written.",
}


def _action_button(parent: QWidget, glyph: str, name: str, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName("messageAction")
    button.setText(glyph)
    button.setToolTip(tip)
    button.setAccessibleName(name)
    button.setAutoRaise(True)
    button.setFixedSize(ACTION_SIZE, ACTION_SIZE)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # reached by arrows, not Tab
    button.hide()
    return button


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
        # A streaming reply grows with nearly every update: Qt would paint the whole message
        # (and the column around it) again at each resize; with static contents only the
        # strip it grew by (its children repaint what changed in them). Its own painting,
        # a border when focused or revealed, is position-dependent: `resizeEvent`.
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.message = message
        self._note = ""

        # No "You"/"Assistant" header (the bubble says it); the name stays for screen readers.
        self.author = QLabel("You" if message.is_user else "Assistant", self)
        self.author.setObjectName("messageAuthor")
        self.author.hide()
        self.setAccessibleName("Your message" if message.is_user else "Reply")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # one tab stop per message
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
            self.body = MarkdownBody(self)
        self.waiting = WaitingDots(self)  # between Enter and the first token

        self.editor: InlineEditor | None = None  # while the message is edited in place
        self.actions_row = QWidget(self)
        self.actions_row.setObjectName("messageActions")
        self.actions_row.setFixedHeight(ACTION_SIZE)  # reserved: hover never moves text
        self._row_effect = QGraphicsOpacityEffect(self.actions_row)
        self.actions_row.setGraphicsEffect(self._row_effect)
        self.branches = BranchSwitcher(self.actions_row)
        self.branches.switch_to.connect(partial(self.action_requested.emit, "switch"))
        row = self.actions_row
        self.copy_button = _action_button(row, "❐", "Copy", "Copy the message as Markdown")
        self.edit_button = _action_button(row, "✎", "Edit", "Edit and resend this message")
        self.regenerate_button = _action_button(row, "↻", "Regenerate", "Write a new reply")
        self.delete_button = _action_button(
            row, "✕", "Delete", "Delete this message and everything below it"
        )
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setFlat(True)
        self.retry_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.retry_button.hide()
        self.copy_button.clicked.connect(self.copy_markdown)
        for arrow in (self.branches.previous, self.branches.next):
            arrow.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for row_button in self._all_row_buttons():
            row_button.installEventFilter(self)
        actions: tuple[tuple[QAbstractButton, MessageAction], ...] = (
            (self.edit_button, "edit"),
            (self.regenerate_button, "regenerate"),
            (self.retry_button, "retry"),
            (self.delete_button, "delete"),
        )
        for button, kind in actions:
            button.clicked.connect(partial(self._request, kind))

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.status, 1)
        header.addWidget(self.retry_button)
        buttons = QHBoxLayout(self.actions_row)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(2)
        if message.is_user:
            buttons.addStretch(1)
        for widget in (
            self.copy_button,
            self.edit_button,
            self.regenerate_button,
            self.branches,
            self.delete_button,
        ):
            buttons.addWidget(widget)
        if not message.is_user:
            buttons.addStretch(1)
        # A user message is a bubble at the right, its actions beside it at its foot (so
        # the next message follows the bubble at the column's spacing); a reply is plain
        # on the page, its actions under it.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self.bubble: QFrame | None = None
        layout = outer
        if message.is_user:
            self.bubble = QFrame(self)
            self.bubble.setObjectName("bubble")
            layout = QVBoxLayout(self.bubble)
            # (its padding comes with the density: `set_density`, below)
            line = QHBoxLayout()
            line.setContentsMargins(0, 0, 0, 0)
            line.setSpacing(4)
            line.addStretch(1)
            line.addWidget(self.actions_row, 0, Qt.AlignmentFlag.AlignBottom)
            line.addWidget(self.bubble, BUBBLE_STRETCH)  # up to its maximum, not its hint
            outer.addLayout(line)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.waiting)
        self._content_layout = layout  # the thinking block goes above the body when needed
        layout.addWidget(self.body)
        layout.addWidget(self.meta)
        if not message.is_user:
            outer.addWidget(self.actions_row)
        self._hovered = False
        self._show_row()
        self.set_density(current_density())
        self.set_message(message)

    def set_density(self, density: DensityMetrics) -> None:
        """The spacing inside this message (Settings → Appearance → Message density)."""
        if self.bubble is not None:
            pad_x, pad_y = density.bubble_pad_x, density.bubble_pad_y
            self._content_layout.setContentsMargins(pad_x, pad_y, pad_x, pad_y)
        self._content_layout.setSpacing(density.inner)
        self._fit_bubble()  # as wide as its text and its new padding

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_bubble()
        if self.hasFocus() or self.property("revealed"):
            self.update()  # its border (see `WA_StaticContents` above) moved
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:  # zoom: the text's width changed
            rescale_after_zoom(self.meta, self, META_SCALE)
            self._fit_bubble()
        super().changeEvent(event)

    def _fit_bubble(self) -> None:
        """A bubble is as wide as its text (a short message, a short bubble; a long one
        wraps at 85% of the column, DESIGN.md)."""
        if self.bubble is None or not isinstance(self.body, PlainBody):
            return
        width = int(self.width() * BUBBLE_SHARE)
        natural = self.body.natural_width()
        if natural is not None:
            margins = self._content_layout.contentsMargins()  # the density's padding
            width = min(width, natural + margins.left() + margins.right())
        self.bubble.setMaximumWidth(width)

    # -- the actions row: on hover and on keyboard focus -----------------------------------
    def enterEvent(self, event: QEnterEvent) -> None:
        self._hovered = True
        self._show_row()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hovered = False
        self._show_row()
        super().leaveEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self._show_row()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        QTimer.singleShot(0, self._show_row)  # (focus may have moved to one of its buttons)
        super().focusOutEvent(event)

    @property
    def row_shown(self) -> bool:
        return self._row_effect.opacity() > 0

    def _focus_within(self) -> bool:
        focused = QApplication.focusWidget()
        return focused is not None and (focused is self or self.isAncestorOf(focused))

    def _show_row(self) -> None:
        shown = self._hovered or self._focus_within() or self.branches.isVisibleTo(self)
        self._row_effect.setOpacity(1.0 if shown else 0.0)

    def _all_row_buttons(self) -> list[QAbstractButton]:
        row: list[QAbstractButton] = [self.copy_button, self.edit_button, self.regenerate_button]
        return [*row, self.branches.previous, self.branches.next, self.delete_button]

    def _row_buttons(self) -> list[QAbstractButton]:
        return [b for b in self._all_row_buttons() if b.isVisibleTo(self) and b.isEnabled()]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Arrows on an action button move along the row (a button would move elsewhere)."""
        arrows = (Qt.Key.Key_Left, Qt.Key.Key_Right)
        key = event.key() if isinstance(event, QKeyEvent) else None
        if event.type() == QEvent.Type.KeyPress and key in arrows:
            assert isinstance(event, QKeyEvent)
            self.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left/Right move through the message's actions (one tab stop per message)."""
        key = event.key()
        if key not in (Qt.Key.Key_Left, Qt.Key.Key_Right) or self.editor is not None:
            super().keyPressEvent(event)
            return
        buttons = self._row_buttons()
        if buttons:
            focused = QApplication.focusWidget()
            at = buttons.index(focused) if focused in buttons else -1
            step = 1 if key == Qt.Key.Key_Right else -1
            buttons[(at + step) % len(buttons) if at >= 0 else 0].setFocus()
            self._show_row()
        event.accept()

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
            self._fit_bubble()
        else:
            if self.thinking is None and message.reasoning:  # made only when needed
                self.thinking = ThinkingBlock(self)
                at = self._content_layout.indexOf(self.body)
                self._content_layout.insertWidget(at, self.thinking)
            if self.thinking is not None:
                self.thinking.set_message(message)
            final = not message.is_streaming
            self.body.set_text(message.content, final=final)
            if final:
                self.body.finish()
        self.copy_button.setVisible(bool(message.content))
        self.branches.set_message(message)
        self.waiting.set_waiting(
            message.is_streaming and not message.content and not message.reasoning
        )
        self._show_row()
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
            layout.insertWidget(0, self.editor)  # in the bubble's place, the column wide
        self.body.hide()
        if self.bubble is not None:
            self.bubble.hide()
        self.editor.start(self.message.content)

    def end_edit(self) -> None:
        if self.editor is not None:
            self.editor.hide()
            self.editor.deleteLater()
            self.editor = None
        self.body.show()
        if self.bubble is not None:
            self.bubble.show()

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
        self.status.setVisible(bool(text))  # an empty line would sit above the text
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
        self.delete_button.setVisible(not msg.is_streaming)
