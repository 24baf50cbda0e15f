"""Search results in the sidebar: `SearchHit`, its model, and a delegate that draws each hit
as the conversation title, the snippet with the matched terms in bold, and the date.

The snippet is the user's or a model's text: it is never read as HTML. `snippet_html`
escapes every piece and wraps only the highlight ranges (code-point offsets, PROTOCOL.md
section 9) in `<b>`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QPainter, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.models.conversations import UNTITLED
from desktop.safe_text import tooltip
from desktop.theme import SIDEBAR, colors_of

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class SearchHit:
    conversation_id: str
    title: str
    message_id: str | None
    created_at: str
    snippet: str
    highlights: tuple[tuple[int, int], ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchHit:
        spans: list[tuple[int, int]] = []
        for pair in data.get("highlights") or []:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                start, end = pair
                if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
                    spans.append((start, end))
        mid = data.get("message_id")
        return cls(
            conversation_id=str(data.get("conversation_id", "")),
            title=str(data.get("conversation_title") or ""),
            message_id=str(mid) if mid is not None else None,
            created_at=str(data.get("created_at") or ""),
            snippet=str(data.get("snippet") or ""),
            highlights=tuple(sorted(spans)),
        )


def snippet_html(snippet: str, highlights: tuple[tuple[int, int], ...]) -> str:
    """`snippet` as rich text: each highlight range in bold, everything escaped."""
    out: list[str] = []
    at = 0
    for start, end in highlights:
        start, end = max(start, at), min(end, len(snippet))
        if start >= end:
            continue
        out.append(html.escape(snippet[at:start]))
        out.append(f"<b>{html.escape(snippet[start:end])}</b>")
        at = end
    out.append(html.escape(snippet[at:]))
    return "".join(out).replace("\n", " ")


def short_date(iso: str) -> str:
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return f"{when.astimezone():%d %b %Y}"


class SearchResultsModel(QAbstractListModel):
    HitRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.hits: list[SearchHit] = []
        self.query = ""

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:  # what a screen reader says
            return f"{hit.title or UNTITLED}: {hit.snippet}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(hit.snippet)
        if role == self.HitRole:
            return hit
        return None

    def set_hits(self, query: str, hits: list[SearchHit]) -> None:
        self.beginResetModel()
        self.query = query
        self.hits = hits
        self.endResetModel()


class SearchHitDelegate(QStyledItemDelegate):
    """Line 1: the title (bold, elided) and the date (muted, right); lines 2-3: the snippet."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        line = option.fontMetrics.lineSpacing()  # type: ignore[attr-defined]
        return QSize(SIDEBAR.min_width, max(SIDEBAR.result, SIDEBAR.pad + 3 * line + 4))

    def snippet_document(self, hit: SearchHit, width: int) -> QTextDocument:
        colors = colors_of()
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setTextWidth(width)
        doc.setDefaultStyleSheet(f"body {{ color: {colors.muted}; }} b {{ color: {colors.text}; }}")
        doc.setHtml(f"<body>{snippet_html(hit.snippet, hit.highlights)}</body>")
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        hit = index.data(SearchResultsModel.HitRole)
        if not isinstance(hit, SearchHit):
            return
        colors = colors_of()
        rect: QRect = option.rect  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        font = QFont(option.font)  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = rect.adjusted(2, 1, -2, -1)
        if state & QStyle.StateFlag.State_Selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.current_bg))
            painter.drawRoundedRect(box, SIDEBAR.radius, SIDEBAR.radius)
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.button))
            painter.drawRoundedRect(box, SIDEBAR.radius, SIDEBAR.radius)
        inner = box.adjusted(SIDEBAR.pad, SIDEBAR.pad // 2, -SIDEBAR.pad, -SIDEBAR.pad // 2)
        line = painter.fontMetrics().lineSpacing()
        date = short_date(hit.created_at)
        date_width = painter.fontMetrics().horizontalAdvance(date) + SIDEBAR.pad
        painter.setPen(QColor(colors.muted))
        head = QRect(inner.left(), inner.top(), inner.width(), line)
        painter.drawText(head, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, date)
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        painter.setFont(bold)
        painter.setPen(QColor(colors.text))
        title_rect = head.adjusted(0, 0, -date_width, 0)
        title = painter.fontMetrics().elidedText(
            hit.title or UNTITLED, Qt.TextElideMode.ElideRight, title_rect.width()
        )
        painter.drawText(
            title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title
        )
        painter.setFont(font)
        doc = self.snippet_document(hit, inner.width())
        doc.setDefaultFont(font)
        painter.translate(inner.left(), inner.top() + line + 2)
        painter.setClipRect(QRect(0, 0, inner.width(), 2 * line))
        doc.drawContents(painter)
        painter.restore()
