"""Finding the links of a Qt text widget and where to point the mouse to reach them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget


def document_of(widget: QWidget) -> QTextDocument | None:
    """The document a text widget (or a label, through its child document) shows."""
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        return widget.document()
    docs = widget.findChildren(QTextDocument)
    return docs[0] if docs else None


def anchors(doc: QTextDocument) -> list[tuple[int, str]]:
    """(a position in the middle of the anchor, href) for every link in the document."""
    found: list[tuple[int, str]] = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            fmt = frag.charFormat()
            if frag.isValid() and fmt.isAnchor() and fmt.anchorHref():
                found.append((frag.position() + frag.length() // 2, fmt.anchorHref()))
            it += 1
        block = block.next()
    return found


def point_of(widget: QWidget, doc: QTextDocument, pos: int) -> tuple[QWidget, QPoint]:
    """Where to click (or hover) on `widget` to hit document position `pos`."""
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        cursor = QTextCursor(doc)
        cursor.setPosition(pos)
        rect = widget.cursorRect(cursor)
        return widget.viewport(), QPoint(rect.left() + 1, rect.center().y())
    block = doc.findBlock(pos)
    line = block.layout().lineForTextPosition(pos - block.position())
    x: Any = line.cursorToX(pos - block.position())
    x = x[0] if isinstance(x, tuple) else x
    top = doc.documentLayout().blockBoundingRect(block).top() + line.y() + line.height() / 2
    origin = widget.contentsRect().topLeft()
    return widget, QPoint(origin.x() + int(x) + 1, origin.y() + int(top))
