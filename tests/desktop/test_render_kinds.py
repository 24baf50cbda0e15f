"""The parts of a reply's body: the registry of segment kinds, the open group, the pacing
of a pass, and the two widget helpers every view uses."""

from __future__ import annotations

import random
from typing import get_args

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from desktop.render.splitter import Kind, Segment
from desktop.views.body_group import GROUP_CHARS, OpenGroup
from desktop.views.body_pacing import FEED_BUDGET, PASS_SECONDS, ROUND_SECONDS, Pass
from desktop.views.body_page import BodyPage
from desktop.views.code_block import CodeBlock
from desktop.views.markdown_body import MarkdownBody
from desktop.views.segment_kinds import KINDS, BlockKind, Metrics, TextKind
from desktop.views.segments import MarkdownSegment
from desktop.views.widget_utils import discard, restyle


def long_reply(paragraphs: int, rng: random.Random) -> str:
    parts = []
    for i in range(paragraphs):
        parts.append(f"Paragraph {i}: " + "words " * rng.randint(3, 40) + "\n\n")
        if rng.random() < 0.01:
            parts.append(f"```python\nx = {i}\n" + "y += 1\n" * rng.randint(1, 8) + "```\n\n")
    return "".join(parts)


def shape(body: MarkdownBody) -> list[str]:
    return [w.code if isinstance(w, CodeBlock) else w.source_text for w in body.widgets()]


def body_of(qtbot: QtBot, text: str = "") -> MarkdownBody:
    b = MarkdownBody()
    qtbot.addWidget(b)
    b.resize(600, 400)
    if text:
        b.set_text(text, final=True)
        b.finish()
        qtbot.waitUntil(lambda: b.pending == 0)
    return b


def streamed_with_renders(
    qtbot: QtBot, text: str, steps: list[int], renders: set[int]
) -> MarkdownBody:
    """`text` streamed in `steps`; after the steps in `renders`, every page is rendered
    (as if all of the reply came into view), the one being filled included."""
    body = body_of(qtbot)
    pos = 0
    for i, step in enumerate(steps):
        pos = min(len(text), pos + step)
        body.set_text(text[:pos])
        qtbot.waitUntil(lambda: body.pending == 0)
        if i in renders:
            body.widgets()
    body.set_text(text, final=True)
    body.finish()
    qtbot.waitUntil(lambda: body.pending == 0)
    return body


def test_groups_do_not_depend_on_when_the_page_being_filled_was_rendered(qtbot: QtBot) -> None:
    """Rendered in its first group, the page being filled goes on (shown) until it is full;
    the groups of the lazy page after it end at the same blocks as for the whole text.
    (Before, that page's first group counted on from where the shown one had been.)"""
    text = "".join(f"Paragraph {i}: " + "words " * 15 + "\n\n" for i in range(1200))
    body = streamed_with_renders(qtbot, text, [500] * (len(text) // 500 + 1), {3})
    assert shape(body) == shape(body_of(qtbot, text))


@pytest.mark.parametrize("seed", range(3))
def test_groups_depend_only_on_the_text(qtbot: QtBot, seed: int) -> None:
    rng = random.Random(seed)
    text = long_reply(1500, rng)
    steps = [rng.choice([50, 500, 3000]) for _ in range(len(text) // 50)]
    renders = {i for i in range(len(steps)) if rng.random() < 0.02}
    body = streamed_with_renders(qtbot, text, steps, renders)
    assert shape(body) == shape(body_of(qtbot, text))


def test_every_kind_the_splitter_makes_has_an_entry(qtbot: QtBot) -> None:
    assert set(KINDS) == set(get_args(Kind))
    page = QWidget()
    qtbot.addWidget(page)
    page.resize(600, 100)
    metrics = Metrics(page)
    short = Segment("markdown", 0, 5, text="Short")
    longer = Segment("markdown", 0, 5000, text="word " * 1000)
    code = Segment("code", 0, 40, lang="py", lines=["x = 1\n"] * 10)
    estimate = KINDS["markdown"].estimate
    assert 0 < estimate(short, metrics) < estimate(longer, metrics)
    assert KINDS["code"].estimate(code, metrics) > 10 * metrics.code_line


def test_a_growing_block_leaves_no_empty_lazy_page_behind(qtbot: QtBot) -> None:
    """A reply that starts with a code block, or one block after another: each open
    block goes to a page of its own, and no empty page is left waiting to be rendered
    (one would be swept for again on every scroll). Before, each left one."""
    body = body_of(qtbot)
    body.show()
    body.set_text("```sh\nls\n")
    body.set_text("```sh\nls\n```\n\n```py\nx = 1\n")
    pages = body.findChildren(BodyPage)
    assert len(pages) == 2 and body.lazy_pages == 0
    body.set_text("```sh\nls\n```\n\n```py\nx = 1\n```\n\nText.\n\n```\nmore\n")
    assert body.lazy_pages == 1  # "Text." waits in a page of its own until it is seen
    assert [type(w) for w in body.widgets()] == [CodeBlock, CodeBlock, MarkdownSegment, CodeBlock]


class TaggedBlock(CodeBlock):
    """A code block of a kind registered by the test."""


def test_a_kind_is_one_entry_its_widget_and_height(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replacing the entries changes what the body makes and how tall lazy pages are,
    with nothing else touched."""
    made: list[bool] = []

    def tagged(seg: Segment, parent: QWidget, live: bool) -> CodeBlock:
        made.append(live)
        return TaggedBlock(seg.lang, parent, live=live)

    monkeypatch.setitem(KINDS, "code", BlockKind(make=tagged, estimate=lambda s, m: 1000.0))
    monkeypatch.setitem(
        KINDS, "markdown", TextKind(make=MarkdownSegment, estimate=lambda s, m: 10.0)
    )
    text = "One.\n\n```sh\nls\n```\n\nTwo.\n\n```\nx\n```\n\nThree.\n"
    whole = body_of(qtbot, text)  # never shown: its pages stay lazy
    lazy = [page.height() for page in whole.findChildren(BodyPage) if page.lazy]
    assert lazy == [2 * 1000 + 2 * 10]  # "Three." is the tail, not held
    assert [type(w) for w in whole.widgets()] == [
        MarkdownSegment,
        TaggedBlock,
        MarkdownSegment,
        TaggedBlock,
        MarkdownSegment,
    ]
    assert made == [False, False]  # complete on arrival
    streamed = body_of(qtbot)
    streamed.set_text("Text.\n\n```sh\nls -l\n")  # a block still open grows live
    assert made[-1] is True
    block = streamed.widgets()[-1]
    assert isinstance(block, TaggedBlock) and block.code == "ls -l\n"


def test_the_open_group_is_full_at_group_chars_whether_held_or_shown(qtbot: QtBot) -> None:
    group = OpenGroup()
    block = "x" * (GROUP_CHARS // 3)
    assert not group.hold(block) and not group.hold(block)
    group.widget = MarkdownSegment()
    qtbot.addWidget(group.widget)
    assert group.add(block + "x")  # held or shown, the blocks count alike
    widget = group.widget
    group.render()
    assert widget.source_text == block + "x"  # only what was shown is rendered
    group.seal()
    assert group.widget is None and not group.hold(block)  # a new group


def test_a_pass_takes_pieces_until_its_time_is_up_outside_a_fence() -> None:
    now = [0.0]
    run = Pass(2500, clock=lambda: now[0], round_clock=lambda: 0.0)
    assert [run.piece_end(0), run.piece_end(1000), run.piece_end(2000)] == [1000, 2000, 2500]
    assert not run.is_last(1000, in_code=False) and run.is_last(2500, in_code=True)
    now[0] = 1.5 * PASS_SECONDS
    assert run.out_of_time()
    assert run.is_last(1000, in_code=False)
    assert not run.is_last(1000, in_code=True)  # a fence open: one more piece or so
    now[0] = 2.5 * PASS_SECONDS
    assert run.is_last(1000, in_code=True)
    assert Pass(FEED_BUDGET // 2).piece_end(0) == FEED_BUDGET // 2


def test_a_pass_ends_sooner_late_in_an_iteration_of_the_event_loop() -> None:
    """Bodies share the event loop's iteration (a reply's answer and its reasoning, and
    the layout and paint before them): a pass that starts late in it ends sooner."""
    now, loop = [0.0], [ROUND_SECONDS]
    run = Pass(2500, clock=lambda: now[0], round_clock=lambda: loop[0])
    assert not run.out_of_time()  # the iteration's time is the pass's own here
    loop[0] += 0.5 * PASS_SECONDS
    assert run.out_of_time() and run.is_last(1000, in_code=False)
    assert not run.is_last(1000, in_code=True)  # (a fence open: a piece or so more)
    loop[0] = 0.0
    assert not run.out_of_time()


def test_restyle_applies_the_stylesheet_when_a_property_changes(qtbot: QtBot) -> None:
    label = QLabel("note")
    qtbot.addWidget(label)
    label.setStyleSheet('QLabel[severity="error"] { color: #ff0000; }')
    label.ensurePolished()

    def colour() -> str:
        return str(label.palette().color(QPalette.ColorRole.WindowText).name())

    before = colour()
    restyle(label, severity="error")
    assert label.property("severity") == "error" and colour() == "#ff0000" != before
    restyle(label, severity="")
    assert colour() == before


def test_discard_takes_widgets_out_at_once_and_deletes_them(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    children = [QLabel(str(i), parent) for i in range(3)]
    gone: list[int] = []
    for i, child in enumerate(children):
        child.destroyed.connect(lambda *_, i=i: gone.append(i))
    discard(children[:2])
    assert [c.parent() for c in children] == [None, None, parent]
    assert not children[0].isVisible()
    qtbot.waitUntil(lambda: sorted(gone) == [0, 1])
    QApplication.processEvents()
    assert parent.findChildren(QLabel) == [children[2]]


def test_a_page_rendered_over_several_passes_shows_what_one_render_shows(
    qtbot: QtBot,
) -> None:
    """A lazy page whose pass runs out of time is rendered a group at a time: meanwhile
    its held segments wait under its widgets in a filler of their estimated height, and
    in the end it has the widgets a render in one go makes."""
    text = "".join(
        f"## Part {i}\n\nSome text of part {i}.\n\n- a point\n\n```py\nx = {i}\n```\n\n"
        for i in range(12)
    )
    whole = body_of(qtbot, text)  # never shown: its pages stay lazy
    expected = shape(whole)
    body = body_of(qtbot, text)
    page = body.findChildren(BodyPage)[0]
    held = len(page.pending)
    passes = 0
    while page.lazy:
        late = Pass(round_clock=lambda: 1.0)  # always out of time: one group per pass
        body._render(page, late)
        passes += 1
        if page.lazy:  # the rest waits, estimated, below what is rendered
            filler = page.findChild(QWidget, "pageFiller")
            assert filler is not None and filler.height() > 0 and page.widgets
            assert 0 < len(page.pending) < held
    assert passes > 2 and page.findChild(QWidget, "pageFiller") is None
    assert shape(body) == expected
    assert [type(w) for w in body.widgets()] == [type(w) for w in whole.widgets()]
