"""What a model's title answer becomes (backend/titles.py)."""

from __future__ import annotations

import pytest

from backend.openai.upstream import OpenAICompatResponder
from backend.responders import EchoResponder
from backend.titles import MAX_WORDS, TitleResponder, clean_title, title_request


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("Greeting the world", "Greeting the world"),
        ('"Greeting the World."', "Greeting the World"),
        ("“Paris trip plans”!", "Paris trip plans"),
        ("'Rust lifetimes, explained'...", "Rust lifetimes, explained"),
        ("**Title:** Sorting in Python", "Sorting in Python"),
        ("Title: «Recette de crêpes»", "Recette de crêpes"),
        ("# Database indexing basics\n\nSome explanation", "Database indexing basics"),
        ("\n\n  Weekend hiking plan  \n", "Weekend hiking plan"),
        ("<think>The user asks about X.</think>\n\nExplaining X simply", "Explaining X simply"),
        ("one two three four five six seven eight", "one two three four five six"),
        ("数据库索引的基本原理？", "数据库索引的基本原理"),
        ("Why the sky is blue?!", "Why the sky is blue"),
    ],
)
def test_clean_title(raw: str, title: str) -> None:
    assert clean_title(raw) == title
    assert len(title.split()) <= MAX_WORDS


@pytest.mark.parametrize("raw", ["", "   \n", '""', "<think>only thinking</think>", "...", "**"])
def test_no_title_in_the_answer(raw: str) -> None:
    assert clean_title(raw) is None


def test_the_request_quotes_the_exchange_and_is_cut() -> None:
    (message,) = title_request("How do I sort a list?", "Use sorted(). " * 500)
    assert message.role == "user"
    assert "How do I sort a list?" in message.content and "six words" in message.content
    assert len(message.content) < 3_000


def test_only_a_real_model_writes_titles() -> None:
    assert not isinstance(EchoResponder(0), TitleResponder)
    assert isinstance(OpenAICompatResponder("http://127.0.0.1:9/v1", None, "m"), TitleResponder)
