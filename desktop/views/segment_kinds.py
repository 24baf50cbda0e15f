"""The kinds of segment a reply is made of, and how each is shown: one entry per kind.

The splitter (`desktop.render.splitter`) cuts a reply into segments, each of a `kind`.
`KINDS` says for each kind which widget shows it and how tall it is estimated to be before
that widget is made (a lazy page stands in for its segments with their estimated height).
There are two ways of being shown:

- `TextKind`: blocks of text that can no longer change, gathered with their neighbours
  in one *group* widget (`MarkdownBody` fills a group with about `GROUP_CHARS` characters
  of consecutive blocks);
- `BlockKind`: one widget of its own per segment (a `Block`), which grows while the
  segment is open (`grow`) and is finished when it closes (`finish(now=True)`, or the
  costly part once it is on screen: `finish(now=False)`, then `finish_if_seen()`).

To add a kind (a math block, a table, a reasoning block): let the splitter emit it, write
its widget (a `Block`: `grow`, `finish`, `finish_if_seen`) and add it to the `Block`
union, and add one `KINDS` entry with its factory and height estimate. `MarkdownBody` and
`BodyPage` never test a segment's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QWidget

from desktop.render.splitter import Kind, Segment
from desktop.views.code_block import CodeBlock, fixed_font
from desktop.views.segments import MarkdownSegment

#: The widgets of the block kinds: each has `grow(seg, partial)`, `finish(now)` and
#: `finish_if_seen()`.
Block = CodeBlock
#: Every widget a reply's body is made of.
SegmentWidget = MarkdownSegment | Block


class Metrics:
    """Rough heights of segments rendered at a page's width (for the scroll bar only)."""

    def __init__(self, page: QWidget) -> None:
        text = QFontMetricsF(page.font())
        self.code_line = QFontMetricsF(fixed_font()).lineSpacing()
        self.text_line = text.lineSpacing()
        self.per_line = max(20, int(max(page.width(), 200) / max(text.averageCharWidth(), 1.0)))


#: The estimated height of a segment, in pixels.
Estimate = Callable[[Segment, Metrics], float]


@dataclass(frozen=True, slots=True)
class TextKind:
    """Blocks of text shown together in group widgets made by `make(parent)`."""

    make: Callable[[QWidget], MarkdownSegment]
    estimate: Estimate


@dataclass(frozen=True, slots=True)
class BlockKind:
    """A segment shown in a widget of its own, made by `make(seg, parent, live)`; `live`:
    the segment is still open (it will grow)."""

    make: Callable[[Segment, QWidget, bool], Block]
    estimate: Estimate


def text_height(seg: Segment, m: Metrics) -> float:
    per_line = m.per_line
    lines = sum(-(-len(line) // per_line) for line in seg.text.splitlines() if line)
    return max(lines, 1) * m.text_line * 1.15 + m.text_line


def code_height(seg: Segment, m: Metrics) -> float:
    return (len(seg.lines) + 1) * m.code_line + 40


def code_block(seg: Segment, parent: QWidget, live: bool) -> CodeBlock:
    # a block complete on arrival is coloured as a whole only
    return CodeBlock(seg.lang, parent, live=live)


KINDS: dict[Kind, TextKind | BlockKind] = {
    "markdown": TextKind(make=MarkdownSegment, estimate=text_height),
    "code": BlockKind(make=code_block, estimate=code_height),
}
