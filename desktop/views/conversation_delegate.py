"""`ConversationDelegate`: paints one sidebar row from the model (Vorta style: the data is
in `ConversationListModel`, the view stays thin).

A row is `SIDEBAR.row` high; the first row of a date group has its muted section label
above it. The current row has the `current_bg` tint, a hovered one the `button` colour and
a "⋯" button at its right end (`more_rect`); a conversation with a reply streaming shows
an accent dot there instead while not hovered. Titles are drawn as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop.models import ConversationListModel
from desktop.theme import SIDEBAR, colors_of

Index = QModelIndex | QPersistentModelIndex
MORE = "⋯"


def section_of(index: Index) -> str:
    return str(index.data(ConversationListModel.SectionRole) or "")


def row_rect(option_rect: QRect, index: Index) -> QRect:
    """The clickable row part of an item (below its section label, if any)."""
    top = option_rect.top() + (SIDEBAR.section if section_of(index) else 0)
    return QRect(option_rect.left(), top, option_rect.width(), SIDEBAR.row)


def more_rect(option_rect: QRect, index: Index) -> QRect:
    """Where the hover "⋯" button of a row is."""
    row = row_rect(option_rect, index)
    return QRect(row.right() - SIDEBAR.more - 2, row.top(), SIDEBAR.more, row.height())


class ConversationDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        extra = SIDEBAR.section if section_of(index) else 0
        return QSize(SIDEBAR.min_width, SIDEBAR.row + extra)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        colors = colors_of()
        rect: QRect = option.rect  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        section = section_of(index)
        font = QFont(option.font)  # type: ignore[attr-defined]
        if section:
            small = QFont(font)
            small.setPointSizeF(max(1.0, font.pointSizeF() * 0.85))
            small.setWeight(QFont.Weight.DemiBold)
            painter.setFont(small)
            painter.setPen(QColor(colors.muted))
            label = QRect(rect.left() + SIDEBAR.pad, rect.top(), rect.width(), SIDEBAR.section)
            painter.drawText(
                label, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft, section
            )
        row = row_rect(rect, index).adjusted(2, 1, -2, -1)
        hovered = bool(state & QStyle.StateFlag.State_MouseOver)
        if state & QStyle.StateFlag.State_Selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.current_bg))
            painter.drawRoundedRect(row, SIDEBAR.radius, SIDEBAR.radius)
        elif hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.button))
            painter.drawRoundedRect(row, SIDEBAR.radius, SIDEBAR.radius)
        trailing = SIDEBAR.more + SIDEBAR.pad
        text_rect = row.adjusted(SIDEBAR.pad, 0, -trailing, 0)
        painter.setFont(font)
        painter.setPen(QColor(colors.text))
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        elided = painter.fontMetrics().elidedText(
            title, Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided
        )
        more = more_rect(rect, index)
        if hovered:
            painter.setPen(QColor(colors.muted))
            painter.drawText(more, Qt.AlignmentFlag.AlignCenter, MORE)
        elif index.data(ConversationListModel.StreamingRole):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.accent))
            d = SIDEBAR.dot
            painter.drawEllipse(more.center().x() - d // 2, more.center().y() - d // 2, d, d)
        painter.restore()

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> None:
        editor.setGeometry(row_rect(option.rect, index).adjusted(4, 4, -4, -4))  # type: ignore[attr-defined]

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setObjectName("renameEditor")
        editor.setAccessibleName("Conversation title")
        return editor
