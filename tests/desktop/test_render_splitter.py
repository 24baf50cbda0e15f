"""The incremental Markdown splitter (pure Python): byte-exact and chunking-independent."""

from __future__ import annotations

import random

import pytest

from desktop.render.splitter import BLOCK_CAP, MarkdownSplitter, Segment

SAMPLE = (
    "# Title\n\nSome *intro* text\nover two lines.\n\n"
    "- one\n- two\n\n  continued item\n- three\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "```python\ndef f(x):\n    return x  # ``` not a fence\n```\n"
    "After code.\n\n"
    "  ~~~\n  indented fence\n    keeps relative indent\n  ~~~\n\n"
    "````md\n```\nnested\n```\n````\n"
    "Last paragraph, no newline at the end"
)


def split(text: str, chunks: list[int] | None = None) -> MarkdownSplitter:
    s = MarkdownSplitter()
    if chunks is None:
        s.feed(text)
        return s
    pos = 0
    for size in chunks:
        s.feed(text[pos : pos + size])
        pos += size
    s.feed(text[pos:])
    return s


def shape(s: MarkdownSplitter) -> list[tuple[str, int, int, str, str, str, bool]]:
    return [(g.kind, g.start, g.end, g.text, g.lang, g.code, g.closed) for g in s.segments]


def random_chunks(text: str, rng: random.Random) -> list[int]:
    sizes: list[int] = []
    while sum(sizes) < len(text):
        sizes.append(rng.choice([1, 1, 2, 3, 5, 8, 13, 40, 200]))
    return sizes


def test_segments_of_a_sample() -> None:
    s = split(SAMPLE)
    kinds = [(g.kind, g.lang, g.closed) for g in s.segments]
    assert kinds == [
        ("markdown", "", True),  # heading
        ("markdown", "", True),  # paragraph
        ("markdown", "", True),  # the loose list stays one block
        ("markdown", "", True),  # table
        ("code", "python", True),
        ("markdown", "", True),  # "After code."
        ("code", "", True),
        ("code", "md", True),
    ]
    assert s.segments[4].code == "def f(x):\n    return x  # ``` not a fence\n"
    assert s.segments[6].code == "indented fence\n  keeps relative indent\n"
    assert s.segments[7].code == "```\nnested\n```\n"
    assert s.segments[2].text.startswith("- one") and "- three" in s.segments[2].text
    assert s.tail == "Last paragraph, no newline at the end"


def test_segments_and_tail_cover_the_text_byte_exact() -> None:
    s = split(SAMPLE)
    pos = 0
    for seg in s.segments:
        assert seg.start == pos and seg.end > seg.start
        pos = seg.end
    assert SAMPLE[pos:] == s.tail
    for seg in s.segments:
        if seg.kind == "markdown":
            assert SAMPLE[seg.start : seg.end] == seg.text


@pytest.mark.parametrize("seed", range(40))
def test_random_chunking_gives_the_same_segments(seed: int) -> None:
    rng = random.Random(seed)
    whole = split(SAMPLE)
    chunked = split(SAMPLE, random_chunks(SAMPLE, rng))
    assert shape(chunked) == shape(whole)
    assert (chunked.tail, chunked.partial_code, chunked.length) == (
        whole.tail,
        whole.partial_code,
        len(SAMPLE),
    )


@pytest.mark.parametrize("cut", range(0, len(SAMPLE), 7))
def test_every_prefix_is_consistent(cut: int) -> None:
    """Whatever has streamed so far, chunked or not, splits the same way."""
    prefix = SAMPLE[:cut]
    assert shape(split(prefix, [1] * cut)) == shape(split(prefix))


def test_unclosed_fence_grows_line_by_line() -> None:
    s = MarkdownSplitter()
    s.feed("Intro\n\n```js\nlet a = 1;\nlet b")
    code = s.segments[-1]
    assert (code.kind, code.lang, code.closed, code.code) == ("code", "js", False, "let a = 1;\n")
    assert s.in_code and s.tail == "" and s.partial_code == "let b"
    s.feed(" = 2;\n`")
    assert s.partial_code == ""  # might be the closing fence: not shown yet
    s.feed("``\nafter")
    assert code.closed and code.code == "let a = 1;\nlet b = 2;\n"
    assert not s.in_code and s.tail == "after"


def test_code_lines_are_not_rescanned() -> None:
    s = MarkdownSplitter()
    s.feed("```\n")
    for i in range(1000):
        s.feed(f"line {i}\n")
    assert len(s.segments[-1].lines) == 1000
    assert s._buf == ""  # consumed lines leave the buffer


def test_long_lists_are_cut_so_the_tail_stays_small() -> None:
    text = "".join(f"- item number {i} of a long tight list\n" for i in range(400))
    s = split(text)
    assert len(s.segments) > 3
    assert all(len(g.text) <= BLOCK_CAP + 100 for g in s.segments)
    assert len(s.tail) <= BLOCK_CAP + 100
    assert "".join(g.text for g in s.segments) + s.tail == text


def test_blank_then_indented_line_continues_the_block() -> None:
    s = split("1. step\n\n   more about the step\n\n2. next\n\nDone.\n")
    assert [g.text for g in s.segments] == ["1. step\n\n   more about the step\n\n2. next\n\n"]
    assert s.tail == "Done.\n"


def test_segment_code_property() -> None:
    assert Segment("code", 0, 0, lines=["a\n", "b\n"]).code == "a\nb\n"
