"""The widgets a rendered message is made of: Markdown text (here) and code blocks
(`desktop.views.code_block`).

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
from typing import Any

from PySide6.QtCore import QMimeData, QRect, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QImage,
    QPainter,
    QPaintEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QSizePolicy,
    QTextBrowser,
    QWidget,
)

from desktop.render.mathdoc import MathDocument, MathStyle
from desktop.render.mathscan import may_have_math
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
