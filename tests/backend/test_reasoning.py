"""Reasoning out of `<think>` tags (backend/reasoning.py), at every chunk boundary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.reasoning import ReplySplitter, ThinkTagParser, split_text
from backend.records import Part, merged
from backend.responders import Usage

#: A whole text and the (reasoning, answer) it must give, whatever its chunks.
CASES: list[tuple[str, str, str]] = [
    ("<think>plan</think>Answer", "plan", "Answer"),
    ("<thinking>a plan</thinking>The answer", "a plan", "The answer"),
    ("<think>\nplan\n</think>\n\nAnswer\n", "\nplan\n", "Answer\n"),
    ("  \n<think>x</think>y", "x", "y"),
    ("<think></think>Answer", "", "Answer"),
    ("<think>never closed", "never closed", ""),
    ("<think>closing half-written</thi", "closing half-written</thi", ""),
    ("<think>a</thinking>b</think>c", "a</thinking>b", "c"),
    ("<thinking>a</think>b</thinking>c", "a</think>b", "c"),
    ("<think>a < b </think>< c", "a < b ", "< c"),
    ("<thin", "", "<thin"),
    ("<", "", "<"),
    ("<thinker>not a tag</thinker>", "", "<thinker>not a tag</thinker>"),
    ("Plain answer", "", "Plain answer"),
    ("A <think>late</think> tag", "", "A <think>late</think> tag"),
    ("<think>one</think>two<think>three</think>", "one", "two<think>three</think>"),
    ("   ", "", "   "),
    ("<think>😀 é</think>👩‍👩‍👧", "😀 é", "👩‍👩‍👧"),
    ("", "", ""),
]


def run(chunks: list[str]) -> tuple[Part, ...]:
    parser = ThinkTagParser()
    out: list[Part] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))
    out.extend(parser.end())
    return merged(out)


def expected(reasoning: str, answer: str) -> tuple[Part, ...]:
    return merged([Part("reasoning", reasoning), Part("text", answer)])


@pytest.mark.parametrize(("text", "reasoning", "answer"), CASES)
def test_every_split_in_two_gives_the_same_parts(text: str, reasoning: str, answer: str) -> None:
    for cut in range(len(text) + 1):
        assert run([text[:cut], text[cut:]]) == expected(reasoning, answer), cut


@pytest.mark.parametrize(("text", "reasoning", "answer"), CASES)
def test_one_code_point_per_chunk_and_whole(text: str, reasoning: str, answer: str) -> None:
    assert run(list(text)) == expected(reasoning, answer)
    assert run([text]) == expected(reasoning, answer)
    assert split_text(text) == (reasoning, answer)


@given(st.sampled_from(CASES), st.lists(st.integers(0, 60), max_size=8))
def test_any_chunking_gives_the_same_parts(case: tuple[str, str, str], cuts: list[int]) -> None:
    text, reasoning, answer = case
    points = sorted({min(c, len(text)) for c in cuts})
    chunks = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert run(chunks) == expected(reasoning, answer)


def test_reasoning_streams_as_it_comes_and_only_a_possible_tag_is_held() -> None:
    parser = ThinkTagParser()
    assert parser.feed("<thi") == []  # could still be a tag
    assert parser.feed("nk>Let me") == [Part("reasoning", "Let me")]
    assert parser.feed(" see</") == [Part("reasoning", " see")]  # "</" may close it
    assert parser.feed("b>") == [Part("reasoning", "</b>")]  # it did not
    assert parser.feed("</think>") == []
    assert parser.feed("\n\n") == []  # whitespace before the answer is dropped
    assert parser.feed("Yes") == [Part("text", "Yes")]
    assert parser.feed(" <think>") == [Part("text", " <think>")]  # no tags past the start
    assert parser.end() == []


def test_text_that_is_not_a_tag_is_released_at_once() -> None:
    parser = ThinkTagParser()
    assert parser.feed("<b") == [Part("text", "<b")]
    assert parser.feed("old>") == [Part("text", "old>")]


def test_the_splitter_takes_every_kind_of_chunk() -> None:
    splitter = ReplySplitter()
    parts = [
        *splitter.feed(Part("reasoning", "from the field")),
        *splitter.feed(""),
        *splitter.feed("<think>inline"),
        *splitter.feed(Usage(3, 4)),
        *splitter.feed(Part("text", "</think>answer")),
        *splitter.end(),
    ]
    assert merged(parts) == (
        Part("reasoning", "from the fieldinline"),
        Part("text", "answer"),
    )
    assert splitter.usage == Usage(3, 4)
