"""The widgets a rendered message is made of: Markdown text and code blocks.

Both are safe by construction:

- Markdown goes through `QTextDocument.setMarkdown` with the GitHub dialect and
  `MarkdownNoHTML`: HTML in the text is shown literally, never interpreted.
- `loadResource` answers every request (image, stylesheet; remote, `file:` or relative)
  with an empty image, so the view never reads a file or touches the network.
- Links never navigate inside the app: a click on an `http`, `https` or `mailto` link
  opens the system browser (`QDesktopServices`); any other scheme is ignored, and a
  hovered link shows its target in the status bar (`desktop.views.links`).

Formulas (`$...$`, `\\(...\\)`, `$$...$$`, `\\[...\\]`) are typeset by
`desktop.render.mathdoc` as in-memory images the document holds itself (no resource is
loaded); Copy gives their LaTeX source.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from typing import Any

from pygments.lexer import Lexer  # type: ignore[import-untyped]
from PySide6.QtCore import QEvent, QMimeData, QRect, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.render.highlight import CodeHighlighter, guess_lexer_for, lexer_for, lexer_name
from desktop.render.mathdoc import MathDocument, MathStyle
from desktop.render.mathscan import may_have_math
from desktop.render.splitter import Segment
from desktop.render.typeset import quote_bars, space_lines, typeset
from desktop.theme import colors_of
from desktop.views import reply_selection
from desktop.views.links import open_link, show_link_target
from desktop.views.plain_append import append_plain
from desktop.views.reply_selection import SharedSelection

log = logging.getLogger(__name__)
#: Space between a segment's edge and its text, all round.
DOCUMENT_MARGIN = 2

MARKDOWN_FEATURES = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Base).lightness() < 128


class QuoteBars(QWidget):
    """The left bars of a segment's blockquotes, drawn over its viewport (made only for
    a segment that has a quote; it takes no mouse events)."""

    def __init__(self, segment: MarkdownSegment) -> None:
        super().__init__(segment.viewport())
        self.segment = segment
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        colour = QColor(colors_of().border)
        dx = -self.segment.horizontalScrollBar().value()
        for bar in quote_bars(self.segment.document()):
            painter.fillRect(bar.translated(dx, 0), colour)
        painter.end()


class MarkdownSegment(SharedSelection, QTextBrowser):
    """Read-only Markdown, as tall as its text at the current width (never scrolls)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("markdownSegment")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setUndoRedoEnabled(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # a table wider than the column scrolls sideways (the text around it wraps)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.viewport().setAutoFillBackground(False)
        self.document().setDocumentMargin(DOCUMENT_MARGIN)
        self.source_text = ""
        self._math: MathDocument | None = None  # made when a text first may hold math
        self.quote_bars: QuoteBars | None = None  # made for the first blockquote
        #: While a text is rendered: its document passes through other sizes (empty,
        #: before typesetting) that must not resize the widget (each resize lays out and
        #: repaints the message: the tail of a streaming reply would, per update).
        self._rendering = False
        self.anchorClicked.connect(open_link)
        self.highlighted.connect(self._hovered)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.horizontalScrollBar().rangeChanged.connect(self._fit)
        self.setFixedHeight(0)

    def set_markdown(self, text: str) -> None:
        if text == self.source_text:
            return
        old, self.source_text = self.source_text, text
        # a tail grown by plain words: appended, not rendered again (`plain_append`)
        grown = self._math is None and text.startswith(old)
        if not (grown and append_plain(self.document(), old, text[len(old) :])):
            self._render()

    def _render(self) -> None:
        text = self.source_text
        math = self._math_for(text)
        self._rendering = True
        try:
            self.document().setMarkdown(math.prepare(text) if math else text, MARKDOWN_FEATURES)
            quotes = typeset(self.document(), colors_of())
            if quotes and self.quote_bars is None:
                self.quote_bars = QuoteBars(self)
                self.quote_bars.show()
            if self.quote_bars is not None:
                self.quote_bars.setVisible(quotes)
            if math is not None:
                math.apply(MathStyle.of(self))
        finally:
            self._rendering = False
        self._fit()

    def _math_for(self, text: str) -> MathDocument | None:
        """Typeset math (`desktop.render.mathdoc`) once a text may hold a formula."""
        if self._math is None and may_have_math(text):
            self._math = MathDocument(self.document(), self, self._render)
        return self._math

    def restyle(self) -> None:
        """Render again with the current palette and font (after a theme change: link
        and formula colours are fixed when a text is rendered)."""
        if self.source_text:
            self._render()

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802 (Qt's name)
        """Copy: a selection over several blocks of a reply gives all of it
        (`desktop.views.reply_selection`); a typeset formula gives its LaTeX source."""
        source = reply_selection.selected_text(self)
        if source is None and self._math is not None:
            source = self._math.selection_source(self.textCursor())
        if source is None:
            return super().createMimeDataFromSelection()
        data = QMimeData()
        data.setText(source)
        return data

    def _hovered(self, url: QUrl) -> None:
        show_link_target(self, url)  # the real target, whatever the link's text says

    def loadResource(self, kind: int, name: QUrl | str) -> Any:  # noqa: N802 (Qt's name)
        """Every resource is an empty image: nothing is read or fetched, ever."""
        log.debug("refused to load resource %s", name)
        return QImage()

    def _fit(self, *_args: object) -> None:
        if self._rendering:
            return  # (`_render` fits once it is done)
        size = self.document().size()
        height = math.ceil(size.height()) if self.source_text else 0
        bar = self.horizontalScrollBar()
        if height and bar.maximum() > 0:  # a wide table: room for the bar under it
            height += bar.sizeHint().height()
        if height != self.height():
            self.setFixedHeight(height)
        if self.quote_bars is not None:
            width = max(self.viewport().width(), math.ceil(size.width()))
            self.quote_bars.setGeometry(QRect(0, 0, width, height))

    # No resizeEvent/sizeHint overrides: a new width re-lays the document out, which
    # emits documentSizeChanged (-> `_fit`), and every call from Qt into Python costs a GIL
    # hand-over that a busy server thread can delay.


class PlainSegment(MarkdownSegment):
    """Plain text (a user's message: never interpreted), as tall as its text.

    Unlike a word-wrapped `QLabel`, its height is computed once per width and then held
    fixed, so a long message costs nothing when other messages change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plainSegment")
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

    def setText(self, text: str) -> None:  # noqa: N802 (like QLabel's)
        self.set_markdown(text)  # the same update: this class's `_render` shows it plain

    def _render(self) -> None:
        text = self.source_text
        math = self._math_for(text)
        if math is not None:
            math.set_plain(text, MathStyle.of(self))
        else:
            self.document().setPlainText(text)
        space_lines(self.document())
        self._fit()

    def text(self) -> str:
        return self.source_text

    def textFormat(self) -> Qt.TextFormat:  # noqa: N802 (like QLabel's)
        return Qt.TextFormat.PlainText


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
