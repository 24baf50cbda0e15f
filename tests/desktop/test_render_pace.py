"""What a streaming reply's body does per update (issue 14: CPU at a realistic pace):
an update that adds nothing that could need rendering on screen forces no sweep (and so
no layout) of the view."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

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
    body._pacing.sweep_soon = lambda: (sweeps.append(1), sweep_soon())[-1]  # type: ignore[method-assign]
    for word in range(20):
        text += f" word{word}"
        body.set_text(text)
    assert body.text() == text
    assert sweeps == []
    body.set_text(text + "\n\n```\nmore code\n```\n\nEnd")  # a block to finish: one sweep
    assert len(sweeps) == 1
