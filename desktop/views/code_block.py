"""Code blocks in a rendered message: `CodeBlock` (a header row with the language and Copy,
over the code) and `CodeView` (the code itself: monospace, highlighted with the theme's code
style, no wrapping, scrolling sideways, as tall as its lines). A streaming block grows line
by line; the text is shown as plain text, never interpreted."""

from __future__ import annotations

import math
from functools import lru_cache

from pygments.lexer import Lexer  # type: ignore[import-untyped]
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPalette,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.render.highlight import CodeHighlighter, guess_lexer_for, lexer_for, lexer_name
from desktop.render.splitter import Segment
from desktop.views.reply_selection import SharedSelection


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Base).lightness() < 128


@lru_cache(maxsize=1)
def fixed_font() -> QFont:
    """The system's monospace family and nothing else: the size is inherited from the
    widget's parent, so zoom (Ctrl+=) reaches code blocks as it reaches the text."""
    font = QFont()
    font.setFamilies(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).families())
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    return font


class CodeView(SharedSelection, QPlainTextEdit):
    """The code itself: monospace, no wrapping, as tall as its lines."""

    def __init__(self, block: CodeBlock) -> None:
        super().__init__(block)
        self.setObjectName("codeView")
        self.block = block
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFont(fixed_font())
        self.horizontalScrollBar().rangeChanged.connect(self.fit)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoom: as tall as its lines again
            self.fit()

    def fit(self, *_args: object) -> None:
        lines = self.document().blockCount()
        height = lines * self.fontMetrics().lineSpacing() + 2 * self.frameWidth()
        height += math.ceil(2 * self.document().documentMargin()) + 2
        bar = self.horizontalScrollBar()
        if bar.maximum() > 0:
            height += bar.sizeHint().height()
        if height != self.height():
            self.setFixedHeight(height)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.createStandardContextMenu(event.pos())
        menu.addSeparator()
        menu.addAction("Copy code", self.block.copy)
        menu.exec(event.globalPos())
        menu.deleteLater()


class CodeBlock(QFrame):
    """A fenced code block: language, Copy button, highlighted code that can grow."""

    def __init__(self, lang: str, parent: QWidget | None = None, live: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("codeBlock")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.lang = lang
        self.lines = 0  # complete lines shown
        self.partial = ""  # the incomplete last line, shown provisionally
        self._parts: list[str] = []
        self.closed = False
        self._uncoloured = False  # finished, not coloured as a whole yet
        self._lexer: Lexer | None = None
        self.label = QLabel(lang or "code", self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # the fence's info string, as typed
        self.label.setObjectName("codeLang")
        self.copy_button = QToolButton(self)
        self.copy_button.setObjectName("codeCopy")
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the code")
        self.copy_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.copy_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.copy_button.clicked.connect(self.copy)
        self.view = CodeView(self)
        # a block complete on arrival gets its highlighter when it is coloured: until
        # then no line of it calls into Python
        self.highlighter: CodeHighlighter | None = None
        if live:
            self.highlighter = CodeHighlighter(
                self.view.document(), lexer_for(lang), is_dark(self), live
            )
        # the header row: the language and Copy, on a tint of its own (chat.qss)
        self.header = QFrame(self)
        self.header.setObjectName("codeHeader")
        header = QHBoxLayout(self.header)
        header.setContentsMargins(10, 2, 4, 2)
        header.addWidget(self.label)
        header.addStretch(1)
        header.addWidget(self.copy_button)
        self.label.setParent(self.header)
        self.copy_button.setParent(self.header)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.view)
        self.view.fit()

    @property
    def code(self) -> str:
        """Exactly the code of the block (so far)."""
        return "".join(self._parts) + self.partial

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code)
        self.copy_button.setText("Copied")
        QTimer.singleShot(1500, self._copied_done)

    def _copied_done(self) -> None:
        self.copy_button.setText("Copy")

    def grow(self, seg: Segment, partial: str) -> None:
        """Show the code segment `seg` as it stands (see `extend`)."""
        self.extend(seg.lines, partial)

    def extend(self, lines: list[str], partial: str) -> None:
        """Show `lines` (all complete lines so far; only the new ones are added) and the
        incomplete last line `partial`."""
        new = lines[self.lines :]
        if not new and partial == self.partial:
            return
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if self.partial:  # take back the provisional line
            cursor.movePosition(
                QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(self.partial)
            )
            cursor.removeSelectedText()
        text = "".join(new) + partial
        if text:
            cursor.insertText(text)
        self._parts.extend(new)
        self.lines = len(lines)
        self.partial = partial
        self.view.fit()

    def finish(self, now: bool = True) -> None:
        """The fence closed (or the message ended): colour the block as a whole, now or
        (`now=False`, a reply still streaming) once it is on screen (`finish_if_seen()`)."""
        if self.closed:
            return
        self.closed = True
        code = self.code
        if code.endswith("\n"):  # the document shows no empty last line
            cursor = QTextCursor(self.view.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.deletePreviousChar()
            self.view.fit()
        self._lexer = lexer_for(self.lang) or (None if self.lang else guess_lexer_for(code))
        if not self.lang and self._lexer is not None:
            self.label.setText(lexer_name(self._lexer))
        self._uncoloured = True
        if now:
            self.colour()

    def colour(self) -> None:
        """Colour a finished block as a whole (once)."""
        if self._uncoloured:
            self._uncoloured = False
            if self.highlighter is None:
                self.highlighter = CodeHighlighter(
                    self.view.document(), self._lexer, is_dark(self), live=False
                )
            self.highlighter.finish(self.code, self._lexer)

    def restyle(self) -> None:
        """Take the current theme's code colours (after a theme change)."""
        if self.highlighter is not None:
            self.highlighter.restyle(is_dark(self))

    @property
    def uncoloured(self) -> bool:
        return self._uncoloured

    def finish_if_seen(self) -> bool:
        """Colour the block if any of it is on screen; True once it is coloured."""
        if self._uncoloured and not self.view.visibleRegion().isEmpty():
            self.colour()
        return not self._uncoloured
