"""`cut_parts`: a reply's parts cut to a code-point budget (the length limit of a turn and
of the OpenAI-compatible route, PROTOCOL.md section 8)."""

from __future__ import annotations

from backend.records import Part, cut_parts

THOUGHT = Part("reasoning", "pl\u00e9n")  # 4 code points, 5 bytes in UTF-8
ANSWER = Part("text", "\U0001f600e\u0301!")  # emoji, e + combining acute, !: 4 code points


def test_parts_within_the_budget_are_kept_whole() -> None:
    assert cut_parts([THOUGHT, ANSWER], 8) == ([THOUGHT, ANSWER], False)
    assert cut_parts([THOUGHT, ANSWER], 100) == ([THOUGHT, ANSWER], False)


def test_the_cut_counts_code_points_and_keeps_the_types() -> None:
    kept, cut = cut_parts([THOUGHT, ANSWER], 6)
    assert cut is True
    assert kept == [THOUGHT, Part("text", "\U0001f600e")]  # the accent is cut off alone
    assert "".join(p.text for p in kept).encode() == b"pl\xc3\xa9n\xf0\x9f\x98\x80e"
    assert cut_parts([THOUGHT, ANSWER], 2) == ([Part("reasoning", "pl")], True)


def test_empty_parts_are_left_out_and_no_room_keeps_nothing() -> None:
    empty = Part("text", "")
    assert cut_parts([empty, THOUGHT, empty], 4) == ([THOUGHT], False)
    assert cut_parts([THOUGHT], 4) == ([THOUGHT], False)  # exactly full is not cut
    assert cut_parts([empty, ANSWER], 0) == ([], True)
    assert cut_parts([ANSWER], -3) == ([], True)
    assert cut_parts([empty], 0) == ([], False)
