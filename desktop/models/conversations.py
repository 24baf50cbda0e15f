"""`ConversationListModel`: the sidebar's list: pinned first, then most recently updated
first, each row knowing its date group (`GroupRole`: "Pinned", "Today", "Yesterday",
"Previous 7 days", "Previous 30 days", then "March 2026"...) and whether a reply is
streaming in it (`StreamingRole`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop.records import Conversation
from desktop.safe_text import tooltip

Index = QModelIndex | QPersistentModelIndex
UNTITLED = "New conversation"

#: Markdown a title shows as plain words: a link's text, emphasis, code and heading marks.
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(
    r"^#{1,6}\s+"  # a heading's marks
    r"|(?:^|(?<=\s))[*_`~]{1,3}(?=\S)"  # opening emphasis/code marks
    r"|(?<=\S)[*_`~]{1,3}(?=[\s.,;:!?)]|$)",  # closing ones (not inside snake_case or 2*3)
    re.MULTILINE,
)
#: A leading `<think>` block: reasoning for the echo provider (PROTOCOL.md section 8).
_THINKING = re.compile(r"\s*<(think|thinking)>(.*?)(?:</\1>|$)(.*)", re.DOTALL)


#: A title is read from the first this many characters of a message (after a leading
#: `<think>` block): a 200 KB paste costs the window no more than a short message.
TITLE_SOURCE = 2_000


def title_of(content: str, limit: int = 60) -> str:
    """A conversation title from a message: its first words, on one line, without the
    Markdown marks (`# Plan **this** week` -> `Plan this week`), after a leading
    `<think>...</think>` block (the words inside it when nothing follows it)."""
    thinking = _THINKING.match(content)
    if thinking:
        content = (thinking.group(3).strip() or thinking.group(2).strip()) or content
    content = content[:TITLE_SOURCE]
    plain = _MARKS.sub("", _LINK.sub(r"\1", content))
    words = " ".join(plain.split()) or " ".join(content.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


PINNED = "Pinned"


def group_of(updated_at: str, today: date) -> str:
    """The sidebar section of a conversation updated at `updated_at` (ISO, any zone)."""
    try:
        when = datetime.fromisoformat(updated_at.replace("Z", "+00:00"))
    except ValueError:
        return "Older"
    day = when.astimezone().date() if when.tzinfo else when.date()
    age = (today - day).days
    if age <= 0:
        return "Today"
    if age == 1:
        return "Yesterday"
    if age < 7:
        return "Previous 7 days"
    if age < 30:
        return "Previous 30 days"
    return f"{day:%B %Y}"


class ConversationListModel(QAbstractListModel):
    IdRole = Qt.ItemDataRole.UserRole + 1
    ConversationRole = Qt.ItemDataRole.UserRole + 2
    #: The row's section ("Pinned", "Today", ...).
    GroupRole = Qt.ItemDataRole.UserRole + 3
    #: The section label to draw above the row ("" unless it starts its section).
    SectionRole = Qt.ItemDataRole.UserRole + 4
    PinnedRole = Qt.ItemDataRole.UserRole + 5
    #: A reply is streaming in this conversation (shown or not).
    StreamingRole = Qt.ItemDataRole.UserRole + 6

    #: An in-place edit asks for a new title; the controller decides (via the backend).
    rename_requested = Signal(str, str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Conversation] = []
        self._pinned: list[str] = []
        self._streaming: set[str] = set()
        #: Today's date (local): tests may replace it.
        self.today: Callable[[], date] = date.today

    # -- Qt API --------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        conv = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return conv.title or UNTITLED
        if role == Qt.ItemDataRole.EditRole:
            return conv.title
        if role == Qt.ItemDataRole.ToolTipRole:  # a tooltip would render HTML: escaped
            return tooltip(conv.title or UNTITLED)
        if role == self.IdRole:
            return conv.id
        if role == self.ConversationRole:
            return conv
        if role == self.GroupRole:
            return self._group(conv)
        if role == self.SectionRole:
            group = self._group(conv)
            first = index.row() == 0 or self._group(self._rows[index.row() - 1]) != group
            return group if first else ""
        if role == self.PinnedRole:
            return conv.id in self._pinned
        if role == self.StreamingRole:
            return conv.id in self._streaming
        return None

    def _group(self, conv: Conversation) -> str:
        return PINNED if conv.id in self._pinned else group_of(conv.updated_at, self.today())

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() else base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        title = str(value).strip()
        conv = self._rows[index.row()]
        if not title or title == conv.title:
            return False
        self.rename_requested.emit(conv.id, title)
        return True

    # -- Python API ----------------------------------------------------------------
    @property
    def conversations(self) -> list[Conversation]:
        return list(self._rows)

    def set_conversations(self, rows: list[Conversation]) -> None:
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda c: c.updated_at, reverse=True)
        self._rows.sort(key=lambda c: c.id not in self._pinned)  # stable: pinned first
        self.endResetModel()

    @property
    def pinned(self) -> list[str]:
        return list(self._pinned)

    def set_pinned(self, ids: list[str]) -> None:
        """Pin `ids` (the rest unpinned), keeping the current rows (a layout change)."""
        if ids == self._pinned:
            return
        self.layoutAboutToBeChanged.emit()
        before = list(self._rows)
        persistent = self.persistentIndexList()
        self._pinned = list(ids)
        self._rows.sort(key=lambda c: c.updated_at, reverse=True)
        self._rows.sort(key=lambda c: c.id not in self._pinned)
        rows = {c.id: r for r, c in enumerate(self._rows)}
        for old in persistent:
            if old.isValid() and old.row() < len(before):
                self.changePersistentIndex(old, self.index(rows[before[old.row()].id]))
        self.layoutChanged.emit()

    def set_streaming(self, cid: str, streaming: bool) -> None:
        """Mark (or unmark) `cid` as having a reply streaming (the sidebar's dot)."""
        if (cid in self._streaming) == streaming:
            return
        if streaming:
            self._streaming.add(cid)
        else:
            self._streaming.discard(cid)
        row = self.row_of(cid)
        if row >= 0:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [self.StreamingRole])

    def row_of(self, cid: str) -> int:
        for row, conv in enumerate(self._rows):
            if conv.id == cid:
                return row
        return -1

    def get(self, cid: str) -> Conversation | None:
        row = self.row_of(cid)
        return self._rows[row] if row >= 0 else None

    def upsert(self, conv: Conversation) -> None:
        """Insert or update `conv`, keeping newest-first order (moves keep selections)."""
        row = self.row_of(conv.id)
        if row < 0:
            target = self._position_for(conv)
            self.beginInsertRows(QModelIndex(), target, target)
            self._rows.insert(target, conv)
            self.endInsertRows()
            return
        self._rows[row] = conv
        idx = self.index(row)
        self.dataChanged.emit(idx, idx)
        del self._rows[row]
        target = self._position_for(conv)
        self._rows.insert(row, conv)
        if target != row:
            dest = target if target < row else target + 1
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), dest)
            del self._rows[row]
            self._rows.insert(target, conv)
            self.endMoveRows()

    def touch(self, cid: str, when: str) -> None:
        """Mark `cid` updated at `when` (after a message), moving it up."""
        conv = self.get(cid)
        if conv is not None and when > conv.updated_at:
            self.upsert(replace(conv, updated_at=when))

    def remove(self, cid: str) -> None:
        row = self.row_of(cid)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()

    def _position_for(self, conv: Conversation) -> int:
        pinned = conv.id in self._pinned
        for i, other in enumerate(self._rows):
            other_pinned = other.id in self._pinned
            if other_pinned != pinned:
                if pinned:
                    return i
                continue
            if other.updated_at <= conv.updated_at:
                return i
        return len(self._rows)
