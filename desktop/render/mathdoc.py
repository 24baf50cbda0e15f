"""Typeset math in a `QTextDocument`: the piece a Markdown (or plain-text) segment calls.

`MathDocument` belongs to one document. For Markdown:

    text = math.prepare(source)          # each formula -> an image placeholder
    document.setMarkdown(text, features)
    math.apply(MathStyle.of(widget))     # placeholders -> images, or the formula's source

`prepare` replaces every formula `find_math` finds by `![m](sse-math:<token>/<n>)`, so
Markdown never sees the LaTeX (no `_` or `*` inside a formula turns into emphasis), and
`apply` puts the typeset image in its place through the document's own resources
(`addResource` under that in-memory name: nothing is loaded from anywhere, the widget's
`loadResource` may go on refusing everything, and a model cannot name these images, the
token is random). A formula still waiting for the worker, or one that cannot be typeset,
is shown as its source text; `pending` lists the former, and the caller applies again once
the renderer's `ready` says they are done. A display formula alone in its paragraph is
centred; one inside a paragraph gets a line of its own.

For plain text (a user's message) `set_plain(source, style)` fills the document with the
text and the images. `selection_source(cursor)` gives a selection's text with each
formula as its LaTeX source (for Copy).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QFontInfo,
    QFontMetricsF,
    QGuiApplication,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextImageFormat,
)
from PySide6.QtWidgets import QWidget

from desktop.render.mathrender import MathImage, MathKey, math_renderer
from desktop.render.mathscan import MathSpan, find_math, may_have_math

SCHEME = "sse-math"
OBJECT = "\ufffc"  # QTextDocument's character for an inline object
LINE_BREAK = "\u2028"
#: While some of a document's formulas are still being typeset: how often it is re-rendered
#: with those that are done.
REFRESH_MS = 150
#: Formulas are typeset this much larger than the text (STIX Two Math's small x-height).
SIZE_FACTOR = 1.15
_IMAGE_PROPERTIES = (
    QTextFormat.Property.ImageName,
    QTextFormat.Property.ImageWidth,
    QTextFormat.Property.ImageHeight,
    QTextFormat.Property.ImageAltText,
    QTextFormat.Property.ImageTitle,
    QTextFormat.Property.ImageQuality,
)


@dataclass(frozen=True, slots=True)
class MathStyle:
    """What a formula's image depends on besides its source."""

    size: float  # text size, pixels
    color: str
    dpr: float
    lift: float  # where Qt centres an inline image: x-height / 4 above the baseline

    @classmethod
    def of(cls, widget: QWidget) -> MathStyle:
        font = widget.font()
        metrics = QFontMetricsF(font)
        return cls(
            size=round(QFontInfo(font).pixelSize() * SIZE_FACTOR, 1),
            color=widget.palette().color(QPalette.ColorRole.Text).name(),
            dpr=widget.devicePixelRatioF(),
            lift=round(metrics.xHeight() / 4, 2),
        )

    def at(self, fmt: QTextCharFormat) -> MathStyle:
        """The style for a formula in text of format `fmt` (a heading's is larger; Qt
        centres an inline image by the x-height of the format's own font)."""
        font = fmt.font()
        lift = round(QFontMetricsF(font).xHeight() / 4, 2)
        if not fmt.hasProperty(QTextFormat.Property.FontSizeAdjustment):
            return self if lift == self.lift else replace(self, lift=lift)
        base = QGuiApplication.font().pointSizeF()
        scale = font.pointSizeF() / base if base > 0 and font.pointSizeF() > 0 else 1.0
        return replace(self, size=round(self.size * scale, 1), lift=lift)

    def key(self, span: MathSpan) -> MathKey:
        lift = None if span.display else self.lift
        return MathKey(span.tex.strip(), span.display, self.size, self.color, self.dpr, lift)


def utf16_len(text: str, end: int | None = None) -> int:
    """How many UTF-16 code units (QTextDocument positions) `text[:end]` takes."""
    part = text if end is None else text[:end]
    return len(part) + sum(1 for c in part if ord(c) > 0xFFFF)


class MathDocument(QObject):
    """The math of one document (a child of the widget showing it). `refresh` is called
    when formulas that were pending have been typeset: it should render the document
    again (`prepare` + `setMarkdown` + `apply`, or `set_plain`)."""

    def __init__(
        self, document: QTextDocument, parent: QObject, refresh: Callable[[], None]
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.refresh = refresh
        self.spans: list[MathSpan] = []
        self.pending: set[MathKey] = set()
        self._prefix = f"{SCHEME}:{secrets.token_hex(6)}/"
        self._shown: dict[str, MathSpan] = {}  # image name -> its formula
        self._watching = False
        self._later: QTimer | None = None

    # -- waiting for the renderer ----------------------------------------------------------
    def _watch(self, on: bool) -> None:
        """Follow the renderer while formulas are pending (and only then). It is
        followed from before the first `lookup`: a formula done between a lookup and the
        connection would never be seen."""
        renderer = math_renderer()
        if on and not self._watching:
            renderer.ready.connect(self._ready)
            self._watching = True
        elif not on and self._watching:
            renderer.ready.disconnect(self._ready)
            self._watching = False

    def _ready(self) -> None:
        renderer = math_renderer()
        done = [key for key in self.pending if renderer.cached(key) is not None]
        if len(done) == len(self.pending):
            self._refresh()
        elif done:  # some are: show them, but re-render at most every REFRESH_MS
            if self._later is None:
                self._later = QTimer(self)
                self._later.setSingleShot(True)
                self._later.setInterval(REFRESH_MS)
                self._later.timeout.connect(self._refresh)
            if not self._later.isActive():
                self._later.start()

    def _refresh(self) -> None:
        if self._later is not None:
            self._later.stop()
        if self.pending:
            self.refresh()

    # -- Markdown --------------------------------------------------------------------------
    def prepare(self, text: str) -> str:
        """`text` with each formula replaced by an image placeholder."""
        self.spans = find_math(text) if may_have_math(text) else []
        if not self.spans:
            return text
        out: list[str] = []
        at = 0
        for n, span in enumerate(self.spans):
            out.append(text[at : span.start])
            out.append(f"![m]({self._prefix}{n})")
            at = span.end
        out.append(text[at:])
        return "".join(out)

    def apply(self, style: MathStyle) -> None:
        """After the document took the prepared Markdown: the images (or sources)."""
        self.pending = set()
        self._shown = {}
        if not self.spans:
            self._watch(bool(self.pending))
            return
        found: list[tuple[int, MathSpan, QTextCharFormat]] = []
        block = self.document.begin()
        while block.isValid():
            if OBJECT in block.text():
                it = block.begin()
                while not it.atEnd():
                    fragment = it.fragment()
                    fmt = fragment.charFormat()
                    if fmt.isImageFormat():
                        span = self._span_of(fmt.toImageFormat().name())
                        if span is not None:
                            found.append((fragment.position(), span, fmt))
                    it += 1
            block = block.next()
        self._watch(True)
        renderer = math_renderer()
        for position, span, fmt in reversed(found):  # later ones first: positions hold
            key = style.at(fmt).key(span)
            image = renderer.lookup(key)
            if image is None:
                self.pending.add(key)
            if image is not None and image.ok:
                self._show_image(position, span, fmt.toImageFormat(), image)
            else:
                self._show_source(position, span, fmt)
        self._watch(bool(self.pending))

    def _span_of(self, name: str) -> MathSpan | None:
        if not name.startswith(self._prefix):
            return None
        number = name[len(self._prefix) :]
        if not number.isdigit() or int(number) >= len(self.spans):
            return None
        return self.spans[int(number)]

    def _show_image(
        self, position: int, span: MathSpan, fmt: QTextImageFormat, image: MathImage
    ) -> None:
        name = fmt.name()
        self.document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image.image)
        fmt.setWidth(image.width)
        fmt.setHeight(image.height)
        if not span.display:
            fmt.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignMiddle)
        cursor = QTextCursor(self.document)
        cursor.setPosition(position)
        cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(fmt)
        self._shown[name] = span
        if span.display:
            self._set_apart(cursor, position)

    def _set_apart(self, cursor: QTextCursor, position: int) -> None:
        """A display formula: centred when alone in its block, else on a line of its own."""
        block = self.document.findBlock(position)
        if block.text().strip() == OBJECT:
            centred = QTextBlockFormat()
            centred.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            cursor.mergeBlockFormat(centred)
            return
        first = block.position()
        last = first + block.length() - 2  # the block's last character
        plain = QTextCharFormat()
        after = self.document.characterAt(position + 1) if position < last else LINE_BREAK
        if after != LINE_BREAK:  # a space next to it becomes the line break
            cursor.setPosition(position + 1)
            if after == " ":
                cursor.setPosition(position + 2, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(LINE_BREAK, plain)
        before = self.document.characterAt(position - 1) if position > first else LINE_BREAK
        if before != LINE_BREAK:
            cursor.setPosition(position)
            if before == " ":
                cursor.setPosition(position - 1, QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(LINE_BREAK, plain)

    def _show_source(self, position: int, span: MathSpan, fmt: QTextCharFormat) -> None:
        text_format = QTextCharFormat(fmt)
        text_format.setObjectType(QTextFormat.ObjectTypes.NoObject)
        for prop in _IMAGE_PROPERTIES:
            text_format.clearProperty(prop)
        cursor = QTextCursor(self.document)
        cursor.setPosition(position)
        cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(span.source, text_format)

    # -- plain text ------------------------------------------------------------------------
    def set_plain(self, text: str, style: MathStyle) -> None:
        """The document shows `text` as plain text, its formulas typeset."""
        self.document.setPlainText(text)
        self.spans = find_math(text) if may_have_math(text) else []
        self.pending = set()
        self._shown = {}
        if not self.spans:
            self._watch(bool(self.pending))
            return
        self._watch(True)
        renderer = math_renderer()
        plain = QTextCharFormat()
        for n, span in reversed(list(enumerate(self.spans))):
            key = style.key(span)
            image = renderer.lookup(key)
            if image is None:
                self.pending.add(key)
            if image is None or not image.ok:
                continue  # the source is there already
            fmt = QTextImageFormat()
            fmt.setName(f"{self._prefix}{n}")
            start = utf16_len(text, span.start)
            cursor = QTextCursor(self.document)
            cursor.setPosition(start)
            cursor.setPosition(start + utf16_len(span.source), QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(OBJECT, plain)
            self._show_image(start, span, fmt, image)
        self._watch(bool(self.pending))

    # -- copy ------------------------------------------------------------------------------
    def selection_source(self, cursor: QTextCursor) -> str | None:
        """The selected text with each typeset formula as its source; None when the
        selection holds no formula image (the widget's own copy is right then)."""
        if not self._shown or not cursor.hasSelection():
            return None
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        parts: list[str] = []
        formulas = 0
        block = self.document.findBlock(start)
        while block.isValid() and block.position() < end:
            if parts:
                parts.append("\n")
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                lo = max(start, fragment.position())
                hi = min(end, fragment.position() + fragment.length())
                if lo < hi:
                    fmt = fragment.charFormat()
                    span = None
                    if fmt.isImageFormat():
                        span = self._shown.get(fmt.toImageFormat().name())
                    if span is not None:
                        parts.append(span.source)
                        formulas += 1
                    else:
                        piece = QTextCursor(self.document)
                        piece.setPosition(lo)
                        piece.setPosition(hi, QTextCursor.MoveMode.KeepAnchor)
                        parts.append(piece.selectedText())
                it += 1
            block = block.next()
        if not formulas:
            return None
        return "".join(parts).replace(LINE_BREAK, "\n").replace("\u2029", "\n")
