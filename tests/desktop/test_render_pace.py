"""What a streaming reply's body does per update (issue 14: CPU at a realistic pace):
an update that adds nothing that could need rendering on screen forces no sweep (and so
no layout) of the view; after a big update the next one waits a longer frame."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.streams import BIG_FRAME_MS, BIG_UPDATE_CHARS, FRAME_MS, ReplyStreams
from desktop.views.markdown_body import MarkdownBody
from desktop.views.segments import CodeBlock


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
    """Deltas are applied at most once per frame: 16 ms after a small update, 50 ms after
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
