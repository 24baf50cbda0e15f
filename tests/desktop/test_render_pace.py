"""What a streaming reply's body does per update (issue 14: CPU at a realistic pace):
an update that adds nothing that could need rendering on screen forces no sweep (and so
no layout) of the view; after a big update the next one waits a longer frame."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QMoveEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.streams import BIG_FRAME_MS, BIG_UPDATE_CHARS, FRAME_MS, ReplyStreams
from desktop.views.code_block import CodeBlock
from desktop.views.markdown_body import MarkdownBody
from desktop.views.segments import MarkdownSegment


def test_updates_that_add_nothing_to_sweep_force_no_sweep(qtbot: QtBot) -> None:
    body = MarkdownBody()  # never shown: what waits to be seen stays waiting
    qtbot.addWidget(body)
    text = "Intro words.\n\n```python\nx = 1\n```\n\nTail"
    body.set_text(text)
    waiting = [w for w in body.segment_widgets if isinstance(w, CodeBlock) and w.uncoloured]
    assert body.lazy_pages or waiting  # (a lazy page, or a block to colour once seen)
    sweeps: list[int] = []
    sweep_soon = body._pacing.sweep_soon

    def counted() -> None:
        sweeps.append(1)
        sweep_soon()

    body._pacing.sweep_soon = counted  # type: ignore[method-assign]
    for word in range(20):
        text += f" word{word}"
        body.set_text(text)
    assert body.text() == text
    assert sweeps == []
    body.set_text(text + "\n\n```\nmore code\n```\n\nEnd")  # a block to finish: one sweep
    assert len(sweeps) == 1


def test_a_big_update_makes_the_next_frame_longer(qtbot: QtBot) -> None:
    """Deltas are applied at most once per frame: 16 ms after a small update, 100 ms after
    one of `BIG_UPDATE_CHARS` or more (a fast stream repaints the whole view per update)."""
    streams = ReplyStreams()
    model = MessageListModel("c1")
    model.append(Message("m1", "c1", "assistant", "", "streaming", "2026-01-01T00:00:00Z"))
    streams._models["m1"] = model  # as `follow()` does, without a worker
    applied: list[str] = []
    model.dataChanged.connect(lambda *_: applied.append(model.messages[0].content))

    streams._on_delta("m1", "a")  # after a quiet frame: at once
    streams._on_delta("m1", "b")  # within the frame: waits for it
    assert applied == ["a"] and 0 < streams._timer.interval() <= FRAME_MS
    qtbot.waitUntil(lambda: applied[-1] == "ab")
    streams._on_delta("m1", "x" * BIG_UPDATE_CHARS)
    streams._timer.stop()
    streams.flush()  # (as its frame's timer would)
    streams._on_delta("m1", "y")
    assert FRAME_MS < streams._timer.interval() <= BIG_FRAME_MS
    qtbot.waitUntil(lambda: applied[-1].endswith("y"))
    assert applied[-1] == "ab" + "x" * BIG_UPDATE_CHARS + "y"


class _Geometry(QObject):
    """Records the heights a widget is resized to and the moves of the widgets watched."""

    def __init__(self) -> None:
        super().__init__()
        self.heights: list[int] = []
        self.moves: list[str] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            assert isinstance(event, QResizeEvent)
            self.heights.append(event.size().height())
        elif event.type() == QEvent.Type.Move:
            assert isinstance(event, QMoveEvent)
            if event.pos() != event.oldPos():
                self.moves.append(f"{event.oldPos().toTuple()} -> {event.pos().toTuple()}")
        return False


def test_a_segment_rendered_again_takes_its_new_height_at_once(qtbot: QtBot) -> None:
    """Rendering passes the document through other sizes (empty, not yet typeset); the
    widget must not take them: each resize lays out and repaints the message around it."""
    segment = MarkdownSegment()
    qtbot.addWidget(segment)
    segment.resize(500, 10)
    segment.show()
    segment.set_markdown("Some **bold** words")
    geometry = _Geometry()
    segment.installEventFilter(geometry)
    segment.set_markdown("Some **bold** words *and more*")  # not plain words: rendered
    assert segment.source_text.endswith("*and more*")
    assert len(geometry.heights) <= 1  # the same height: no resize at all
    segment.set_markdown("Some **bold** words *and more*\n\n# A heading\n\nText")
    assert len(geometry.heights) <= 2  # taller: one resize, to its new height
    assert geometry.heights[-1] == segment.height() > 0


def _shows(body: MarkdownBody, text: str) -> bool:
    return body.text() == text


def test_a_growing_tail_moves_nothing_above_it(qtbot: QtBot) -> None:
    """The body grows before its layout runs: the blocks above the tail are not squeezed
    into the old height first (moved and repainted, then moved back)."""
    page = QWidget()  # as in a message: the body in a column, something under it
    qtbot.addWidget(page)
    column = QVBoxLayout(page)
    body = MarkdownBody(page)
    column.addWidget(body)
    column.addWidget(QLabel("under the body", page))
    column.addStretch(1)
    page.resize(500, 800)
    page.show()
    text = "".join(f"Paragraph {n} of the reply, in words.\n\n" for n in range(40))
    text += "```python\nx = 1\ny = 2\n```\n\nSome words"
    body.set_text(text)
    qtbot.waitUntil(lambda: body.text() == text)
    qtbot.wait(50)
    geometry = _Geometry()
    above = [w for w in body.findChildren(QWidget) if isinstance(w, CodeBlock)]
    assert above
    for widget in above:
        widget.installEventFilter(geometry)
    for line in range(6):
        text += f"\n\n**Line {line}** of the tail, long enough to take a line of its own."
        body.set_text(text)
        qtbot.waitUntil(partial(_shows, body, text))
        QApplication.processEvents()
    qtbot.wait(50)
    assert geometry.moves == []
