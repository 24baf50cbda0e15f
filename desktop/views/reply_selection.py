"""Selecting across a reply's blocks (issue 15, item 14).

A reply is a column of widgets (Markdown groups, code blocks: `desktop.views.markdown_body`),
each with a text document of its own, and Qt keeps a selection inside one document: a
drag that leaves a paragraph would stop at its edge. The reply's widgets share one
selection instead:

- a drag that starts in one part and moves over others selects from where it started to
  the end of that part, every part in between whole, and the part under the mouse up to
  the mouse (each part highlights its share);
- a drag held above or below the chat view scrolls it (faster the further out), selecting
  on as the text passes under the mouse;
- Ctrl+A in a part selects the whole reply;
- Copy (Ctrl+C, the context menu) with a selection over several parts gives their text,
  joined by blank lines; a code block selected whole comes as a fenced block with its
  language, a Markdown part selected whole as its Markdown source, and the whole reply
  as the reply's Markdown, exactly as the model wrote it.

Why not one selection over the whole reply: the widgets are separate `QTextDocument`s
(so that a long reply lays out only the part that changes, and code blocks scroll
sideways on their own); Qt's selection, its highlighting and its cursor belong to one
document, so the parts are kept in step here instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QMimeData, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QMouseEvent, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QScrollArea, QTextEdit, QWidget

if TYPE_CHECKING:
    from desktop.views.markdown_body import MarkdownBody

Part = QTextEdit | QPlainTextEdit

#: How often a drag held outside the chat view scrolls it, and by how much per pixel out.
SCROLL_EVERY_MS = 30
SCROLL_PER_PIXEL = 0.5
SCROLL_MIN_STEP = 4


def _body_of(widget: QWidget) -> MarkdownBody | None:
    from desktop.views.markdown_body import MarkdownBody

    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, MarkdownBody):
        parent = parent.parentWidget()
    return parent


def parts_of(widget: Part) -> list[Part]:
    """The text widgets of the reply `widget` is part of, top to bottom (just `widget`
    outside a reply: a user's message)."""
    from desktop.views.code_block import CodeBlock

    body = _body_of(widget)
    if body is None:
        return [widget]
    return [w.view if isinstance(w, CodeBlock) else w for w in body.widgets()]


def _set(part: Part, anchor: int, position: int) -> None:
    cursor = QTextCursor(part.document())
    cursor.setPosition(anchor)
    cursor.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
    part.setTextCursor(cursor)


def _end(part: Part) -> int:
    return max(part.document().characterCount() - 1, 0)


def clear_others(origin: Part) -> None:
    """A new press in `origin`: the other parts of its reply drop their selection."""
    for part in parts_of(origin):
        if part is not origin and part.textCursor().hasSelection():
            cursor = part.textCursor()
            cursor.clearSelection()
            part.setTextCursor(cursor)


def _index_at(parts: list[Part], y: int) -> int:
    """The part at global height `y` (the first or last one beyond the reply)."""
    for index, part in enumerate(parts):
        if y < part.mapToGlobal(QPoint(0, part.height())).y():
            return index
    return len(parts) - 1


def extend_drag(origin: Part, at: QPoint) -> None:
    """A drag that started in `origin` is at global point `at`: select across the parts."""
    parts = parts_of(origin)
    if len(parts) < 2:
        return
    start = parts.index(origin)
    stop = _index_at(parts, at.y())
    low, high = sorted((start, stop))
    for index, part in enumerate(parts):
        if index == start:
            continue
        if low < index < high:
            _set(part, 0, _end(part))
        elif index == stop:
            point = part.cursorForPosition(part.viewport().mapFromGlobal(at)).position()
            _set(part, 0 if stop > start else _end(part), point)
        elif part.textCursor().hasSelection():
            _set(part, 0, 0)
    if stop != start:  # the start part: from where the drag began to its end (or start)
        cursor = origin.textCursor()
        move = QTextCursor.MoveOperation.End if stop > start else QTextCursor.MoveOperation.Start
        cursor.movePosition(move, QTextCursor.MoveMode.KeepAnchor)
        origin.setTextCursor(cursor)


def _scroll_area(widget: QWidget) -> QScrollArea | None:
    """The scroll area around a part (the chat view), not a part's own scrolling."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent


class DragScroller(QObject):
    """While a drag is held beyond the chat view's top or bottom edge, scrolls the view a
    step every `SCROLL_EVERY_MS` and extends the selection to the held mouse position."""

    def __init__(self, origin: Part) -> None:
        super().__init__(origin)
        self.origin = origin
        self.at = QPoint()
        self.timer = QTimer(self)
        self.timer.setInterval(SCROLL_EVERY_MS)
        self.timer.timeout.connect(self._step)

    def _beyond(self) -> int:
        """How many pixels the mouse is above (negative) or below the view (0: inside)."""
        area = _scroll_area(self.origin)
        if area is None:
            return 0
        view = area.viewport()
        top = view.mapToGlobal(QPoint(0, 0)).y()
        bottom = top + view.height()
        if self.at.y() < top:
            return self.at.y() - top
        return max(self.at.y() - bottom, 0)

    def moved(self, at: QPoint) -> None:
        self.at = at
        if self._beyond():
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()

    def _step(self) -> None:
        area = _scroll_area(self.origin)
        out = self._beyond()
        if area is None or not out:
            self.timer.stop()
            return
        step = max(SCROLL_MIN_STEP, int(abs(out) * SCROLL_PER_PIXEL))
        bar = area.verticalScrollBar()
        bar.setValue(bar.value() + (step if out > 0 else -step))
        parts = parts_of(self.origin)
        if parts[_index_at(parts, self.at.y())] is self.origin:  # still in the first part:
            viewport = self.origin.viewport()  # Qt selects on only when the mouse moves
            point = self.origin.cursorForPosition(viewport.mapFromGlobal(self.at)).position()
            cursor = self.origin.textCursor()
            cursor.setPosition(point, QTextCursor.MoveMode.KeepAnchor)
            self.origin.setTextCursor(cursor)
        extend_drag(self.origin, self.at)

    def stop(self) -> None:
        self.timer.stop()


def select_reply(origin: Part) -> None:
    """Ctrl+A: every part of the reply selected."""
    for part in parts_of(origin):
        part.selectAll()


def _whole(part: Part) -> bool:
    cursor = part.textCursor()
    return cursor.selectionStart() == 0 and cursor.selectionEnd() >= _end(part)


def _text_of(part: Part) -> str:
    from desktop.views.code_block import CodeView
    from desktop.views.segments import MarkdownSegment

    if _whole(part):
        if isinstance(part, CodeView):
            return f"```{part.block.lang}\n{part.block.code.rstrip(chr(10))}\n```"
        if isinstance(part, MarkdownSegment):
            return part.source_text.strip()
    return part.textCursor().selection().toPlainText()


def selected_text(origin: Part) -> str | None:
    """What Copy gives when the selection spans several parts of a reply (None: it is
    inside `origin` alone, and `origin` copies as usual)."""
    parts = parts_of(origin)
    chosen = [part for part in parts if part.textCursor().hasSelection()]
    if len(chosen) < 2:
        return None
    body = _body_of(origin)
    if body is not None and all(_whole(part) for part in parts):
        return body.text()  # the whole reply: its Markdown source
    return "\n\n".join(_text_of(part) for part in chosen)


class SharedSelection:
    """What a reply's text widget does to share its selection (a mixin, before the Qt
    class: `class CodeView(SharedSelection, QPlainTextEdit)`)."""

    _drag_scroller: DragScroller | None = None

    def _part(self) -> Part:
        return cast(Part, self)

    def _scroller(self) -> DragScroller:
        if self._drag_scroller is None:
            self._drag_scroller = DragScroller(self._part())
        return self._drag_scroller

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            clear_others(self._part())
        super().mousePressEvent(event)  # type: ignore[misc]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        super().mouseMoveEvent(event)  # type: ignore[misc]
        if event.buttons() & Qt.MouseButton.LeftButton:
            at = event.globalPosition().toPoint()
            extend_drag(self._part(), at)
            self._scroller().moved(at)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._drag_scroller is not None:
            self._drag_scroller.stop()
        super().mouseReleaseEvent(event)  # type: ignore[misc]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.matches(QKeySequence.StandardKey.SelectAll):
            select_reply(self._part())
            event.accept()
            return
        super().keyPressEvent(event)  # type: ignore[misc]

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802 (Qt's name)
        source = selected_text(self._part())
        if source is None:
            return super().createMimeDataFromSelection()  # type: ignore[misc,no-any-return]
        data = QMimeData()
        data.setText(source)
        return data
