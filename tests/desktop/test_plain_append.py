"""A Markdown segment grown by plain words appends them instead of rendering again
(`desktop.views.plain_append`), and the document is then exactly the one a full render of
the same text gives: checked after every update of streams cut into chunks of every size."""

from __future__ import annotations

import random
from typing import Any

import pytest
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from bench.bench_text import markdown_reply
from desktop.views import plain_append
from desktop.views.plain_append import appendable
from desktop.views.segments import MarkdownSegment

TRICKY = [
    "Plain words, then more words: and a question? Yes! 'quoted' \"too\".",
    "**bold** and then x**y**z and __under__score and snake_case and *a*b",
    "An entity &amp; and &amp then ; and www.example.com and www . and www.x",
    "Mail me@example.com or me@example. com and http://example.com/path and http: x",
    "1. first\n2. second with words\n\n12\n\n1.\n\n- item\n-\n- two words\n\n# Head words\n",
    "#hash not heading and > quote words\n>quote\n    indented code words\n\n  lead",
    "Trailing spaces  \nhard break then words   and more   spaced   words",
    "A [link text](https://example.com) then words and [unclosed link text and ( x",
    "Table | a | b |\n|---|---|\n| one cell | two |\n\nSetext\n===\n\nand text\n---\n",
    "`code span` words `open code span words and ~~strike~~ words ~x~",
    "Unicode wörds, ça va? Ελληνικά 2026. 😀 emoji then words",
]


def shape(doc: QTextDocument) -> list[tuple[Any, ...]]:
    """Every block: its formats and its text runs (adjacent equal formats merged)."""
    out: list[tuple[Any, ...]] = []
    block = doc.begin()
    while block.isValid():
        runs: list[list[Any]] = []
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if runs and runs[-1][1] == fmt:
                runs[-1][0] += fragment.text()
            else:
                runs.append([fragment.text(), fmt])
            it += 1
        listed = block.textList()
        out.append(
            (
                block.blockFormat(),
                listed.format() if listed is not None else None,
                [tuple(run) for run in runs],
            )
        )
        block = block.next()
    return out


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("Some words", " and more", True),
        ("Some words", "ing, then.", True),
        ("- a list item", " grows", True),
        ("## A heading", " grows", True),
        ("Some words", " *starts", False),  # a delimiter
        ("Some words", "\nnext", False),  # a line break
        ("**bold**", "x", False),  # re-flanks the closing delimiter
        ("see www", ".ex", False),  # an autolink
        ("1", ". item", False),  # an ordered list item
        ("-", " item", False),
        ("&amp", ";", False),
        ("", "words", False),
    ],
)
def test_which_growths_are_appended(old: str, new: str, expected: bool) -> None:
    assert appendable(old, new) is expected


def test_a_stream_of_plain_words_is_appended_not_rendered(qtbot: QtBot) -> None:
    segment = MarkdownSegment()
    qtbot.addWidget(segment)
    renders: list[str] = []
    original = segment._render

    def counting() -> None:
        renders.append(segment.source_text)
        original()

    segment._render = counting  # type: ignore[method-assign]
    text = "Streaming text should stay smooth however long the reply grows, really."
    for end in range(4, len(text) + 1, 4):
        segment.set_markdown(text[:end])
    segment.set_markdown(text)
    assert len(renders) == 1  # the first piece; then appended
    whole = MarkdownSegment()
    qtbot.addWidget(whole)
    whole.set_markdown(text)
    assert shape(segment.document()) == shape(whole.document())
    assert segment.height() == whole.height()


@pytest.mark.parametrize("text", [*TRICKY, markdown_reply(600)])
def test_appending_gives_what_rendering_gives_after_every_update(
    qtbot: QtBot, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    appended: list[str] = []
    original = plain_append.append_plain

    def spy(document: QTextDocument, old: str, new: str) -> bool:
        done = original(document, old, new)
        if done:
            appended.append(new)
        return done

    monkeypatch.setattr("desktop.views.segments.append_plain", spy)
    rng = random.Random(text)
    for sizes in ((1,), (4,), (1, 2, 3, 5, 8)):
        segment = MarkdownSegment()
        qtbot.addWidget(segment)
        fresh = MarkdownSegment()
        qtbot.addWidget(fresh)
        end = 0
        while end < len(text):
            end = min(len(text), end + rng.choice(sizes))
            segment.set_markdown(text[:end])
            fresh.set_markdown(text[:end])
            assert shape(segment.document()) == shape(fresh.document()), repr(text[:end])
            fresh.set_markdown("")  # (the next prefix is rendered whole again)
    if text in (TRICKY[0], TRICKY[-1]) or text.startswith("## Section"):
        assert appended  # the fast path was taken (else this would test nothing)
