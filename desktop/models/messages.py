"""`MessageListModel`: one conversation's messages, oldest first.

A streaming reply grows by `append_delta` (one `dataChanged` for its row, never a
reset). `note` is the desktop's own remark on a message (e.g. a lost connection),
beside the backend's `status`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.records import Message

Index = QModelIndex | QPersistentModelIndex


class MessageListModel(QAbstractListModel):
    IdRole = Qt.ItemDataRole.UserRole + 1
    RoleRole = Qt.ItemDataRole.UserRole + 2
    StatusRole = Qt.ItemDataRole.UserRole + 3
    NoteRole = Qt.ItemDataRole.UserRole + 4
    MessageRole = Qt.ItemDataRole.UserRole + 5
    ReasoningRole = Qt.ItemDataRole.UserRole + 6

    def __init__(self, conversation_id: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self.conversation_id = conversation_id
        self._rows: list[Message] = []
        self._notes: dict[str, str] = {}

    # -- Qt API --------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        msg = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return msg.content
        if role == self.IdRole:
            return msg.id
        if role == self.RoleRole:
            return msg.role
        if role == self.StatusRole:
            return msg.status
        if role == self.NoteRole:
            return self._notes.get(msg.id, "")
        if role == self.MessageRole:
            return msg
        if role == self.ReasoningRole:
            return msg.reasoning
        return None

    # -- Python API ----------------------------------------------------------------
    @property
    def messages(self) -> list[Message]:
        return list(self._rows)

    def message(self, mid: str) -> Message | None:
        row = self.row_of(mid)
        return self._rows[row] if row >= 0 else None

    def message_at(self, row: int) -> Message:
        return self._rows[row]

    def note(self, mid: str) -> str:
        return self._notes.get(mid, "")

    def row_of(self, mid: str) -> int:
        for row in range(len(self._rows) - 1, -1, -1):  # recent ones are asked for most
            if self._rows[row].id == mid:
                return row
        return -1

    def streaming(self) -> list[Message]:
        return [m for m in self._rows if m.is_streaming]

    def last_assistant(self) -> Message | None:
        if self._rows and not self._rows[-1].is_user:
            return self._rows[-1]
        return None

    def set_messages(self, rows: list[Message]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._notes.clear()
        self.endResetModel()

    def append(self, msg: Message) -> None:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(msg)
        self.endInsertRows()

    def append_delta(self, mid: str, text: str) -> None:
        row = self.row_of(mid)
        if row < 0 or not text:
            return
        msg = self._rows[row]
        self._rows[row] = replace(msg, content=msg.content + text)
        self._changed(row, Qt.ItemDataRole.DisplayRole)

    def append_reasoning(self, mid: str, text: str) -> None:
        """More reasoning of a streaming reply (kept apart from its `content`)."""
        row = self.row_of(mid)
        if row < 0 or not text:
            return
        msg = self._rows[row]
        self._rows[row] = replace(msg, reasoning=msg.reasoning + text)
        self._changed(row, self.ReasoningRole)

    def update(self, msg: Message) -> None:
        """Replace the stored version of `msg` (same id), e.g. from an `end` event."""
        row = self.row_of(msg.id)
        if row < 0:
            return
        self._rows[row] = msg
        self._changed(
            row, Qt.ItemDataRole.DisplayRole, self.StatusRole, self.MessageRole, self.ReasoningRole
        )

    def set_note(self, mid: str, note: str) -> None:
        row = self.row_of(mid)
        if row < 0 or self._notes.get(mid, "") == note:
            return
        if note:
            self._notes[mid] = note
        else:
            self._notes.pop(mid, None)
        self._changed(row, self.NoteRole)

    def remove_from(self, mid: str) -> None:
        """Remove message `mid` and every later one."""
        row = self.row_of(mid)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, len(self._rows) - 1)
        for msg in self._rows[row:]:
            self._notes.pop(msg.id, None)
        del self._rows[row:]
        self.endRemoveRows()

    def remove_after(self, mid: str) -> None:
        """Remove every message later than `mid`."""
        row = self.row_of(mid)
        if 0 <= row < len(self._rows) - 1:
            self.remove_from(self._rows[row + 1].id)

    def _changed(self, row: int, *roles: int) -> None:
        idx = self.index(row)
        self.dataChanged.emit(idx, idx, list(roles))
