"""PROTOCOL.md section 9 (search), row by row, against the real backend on loopback.

The shared server holds other tests' messages too, so every test searches for words made
unique to it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .support import Api, check_error, parse_time

HIT_KEYS = {"conversation_id", "conversation_title", "message_id", "role", "created_at",
            "snippet", "highlights"}  # fmt: skip


def _word() -> str:
    """A word no other test uses (letters only, so that it is one term)."""
    return "q" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])


def _search(api: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/api/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    hits = r.json()
    assert isinstance(hits, list)
    for hit in hits:
        _check_hit(hit)
    return hits


def _check_hit(hit: Any) -> None:
    assert isinstance(hit, dict) and hit.keys() >= HIT_KEYS, hit
    assert isinstance(hit["conversation_id"], str) and isinstance(hit["conversation_title"], str)
    assert hit["role"] in ("user", "assistant", None)
    assert (hit["message_id"] is None) == (hit["role"] is None), hit
    parse_time(hit["created_at"])
    assert isinstance(hit["snippet"], str)
    for start, end in hit["highlights"]:
        assert 0 <= start < end <= len(hit["snippet"]), hit


def _said(api: Api, text: str, title: str | None = None) -> tuple[str, dict[str, Any]]:
    cid, turn = api.new_turn(text, title)
    api.follow(turn["reply"]["id"])
    return cid, turn


def _marked(hit: dict[str, Any]) -> list[str]:
    return [hit["snippet"][s:e] for s, e in hit["highlights"]]


def test_a_message_matches_when_every_term_occurs(api: Api) -> None:
    a, b = _word(), _word()
    cid, turn = _said(api, f"first {a} and then {b}")
    _said(api, f"only {a} here")
    hits = _search(api, f"{a} {b}")
    assert {h["message_id"] for h in hits} == {turn["message"]["id"], turn["reply"]["id"]}
    hit = next(h for h in hits if h["role"] == "user")
    assert hit["conversation_id"] == cid and hit["snippet"] == f"first {a} and then {b}"
    assert sorted(m.lower() for m in _marked(hit)) == sorted([a, b])
    assert len(_search(api, a)) == 4  # both conversations, user and reply each


def test_case_insensitive_and_inside_words(api: Api) -> None:
    w = _word()
    _said(api, f"The PRE{w.upper()}POST value")
    for q in (w, w.upper(), w.capitalize(), w[2:9]):
        hits = _search(api, q)
        assert len(hits) == 2, q
        assert all(m.lower() in w for h in hits for m in _marked(h)), hits


def test_any_script_substrings(api: Api) -> None:
    w = _word()
    _said(api, f"{w} 分布式数据库系统 Ελληνικά Кириллица")
    assert len(_search(api, f"{w} 数据库")) == 2
    assert len(_search(api, f"{w} ΕΛΛΗΝΙΚΆ")) == 2  # case folding beyond ASCII
    assert len(_search(api, f"{w} кириллица")) == 2
    assert _search(api, f"{w} 数据仓库") == []


def test_a_quoted_term_is_a_phrase(api: Api) -> None:
    w = _word()
    _, turn = _said(api, f"{w} red apple pie")
    _said(api, f"{w} apple red pie")
    hits = _search(api, f'"{w} red apple"')
    assert {h["message_id"] for h in hits} == {turn["message"]["id"], turn["reply"]["id"]}
    assert all(_marked(h) == [f"{w} red apple"] for h in hits)
    assert len(_search(api, f"{w} red apple")) == 4  # unquoted: terms anywhere


def test_a_matching_title_gives_a_hit_without_message(api: Api) -> None:
    w = _word()
    cid = api.create_conversation(f"Notes about {w}")["id"]
    hits = _search(api, w)
    assert len(hits) == 1
    hit = hits[0]
    assert hit["conversation_id"] == cid and hit["message_id"] is None and hit["role"] is None
    assert hit["conversation_title"] == f"Notes about {w}"
    assert _marked(hit) == [w]


def test_every_branch_is_searched(api: Api) -> None:
    w = _word()
    cid, turn = _said(api, f"{w} original")
    edited = api.patch(f"/api/messages/{turn['message']['id']}", json={"content": "other"})
    assert edited.status_code == 202
    api.follow(edited.json()["reply"]["id"])
    # the original is no longer on the current path, but still found
    ids = {h["message_id"] for h in _search(api, w)}
    assert ids == {turn["message"]["id"], turn["reply"]["id"]}


def test_best_matches_first(api: Api) -> None:
    w = _word()
    filler = " ".join(f"filler{i}" for i in range(150))
    _, weak = _said(api, f"{w} {filler}")
    _, strong = _said(api, f"{w} {w} {w}")
    hits = [h for h in _search(api, w) if h["role"] == "user"]
    assert [h["message_id"] for h in hits] == [strong["message"]["id"], weak["message"]["id"]]


def test_snippet_is_around_the_first_match_with_code_point_offsets(api: Api) -> None:
    w = _word()
    before = "😀 " * 300  # astral characters: one code point, two UTF-16 units each
    text = f"{before}{w} tail {w}"
    _said(api, text)
    hit = next(h for h in _search(api, w) if h["role"] == "user")
    snippet = hit["snippet"]
    assert len(snippet) <= 220 and snippet in text  # about 200 characters of the text
    assert w in snippet
    assert _marked(hit) == [w, w]  # every occurrence of the term there, in code points
    assert hit["highlights"] == sorted(hit["highlights"])


def test_short_terms_still_match(api: Api) -> None:
    w = _word()
    _said(api, f"{w} xq 数据 z")
    assert len(_search(api, f"{w} xq")) == 2
    assert len(_search(api, f"{w} XQ")) == 2
    assert len(_search(api, f"{w} 数据")) == 2
    assert len(_search(api, f"{w} z")) == 2
    assert _search(api, f"{w} qx") == []
    hits = _search(api, "xq", limit=200)
    assert any(w in h["snippet"] for h in hits)


def test_a_rare_short_term_alone_is_found(api: Api) -> None:
    rare = "ǆ" + chr(0x4E00 + uuid.uuid4().int % 2000)  # two characters, hardly ever seen
    _, turn = _said(api, f"ends with {rare}")
    ids = {h["message_id"] for h in _search(api, rare)}
    assert turn["message"]["id"] in ids


@pytest.mark.parametrize(
    "q",
    ['"', '""', '"unclosed', "a OR b", "NOT x", "x AND", "NEAR(a b)", "col:term", "*", "^a",
     "a-b", "(((", "'); DROP TABLE messages; --", '"a" "b', "\\", "{a b}", "a+b", "%_"],
)  # fmt: skip
def test_fts_operators_and_quotes_are_plain_text(api: Api, q: str) -> None:
    _search(api, q)  # 200, never a syntax error or a 500


def test_operators_are_matched_literally(api: Api) -> None:
    w = _word()
    _said(api, f"{w} NEAR(a b) OR col:x")
    assert len(_search(api, f'{w} "NEAR(a b)"')) == 2
    assert len(_search(api, f"{w} col:x")) == 2
    assert _search(api, f"{w} AND") == []


@pytest.mark.parametrize("q", ["", " ", "\t\n"])
def test_empty_query_is_422(api: Api, q: str) -> None:
    check_error(api.get("/api/search", params={"q": q}), 422)


def test_missing_query_is_422(api: Api) -> None:
    check_error(api.get("/api/search"), 422)


@pytest.mark.parametrize("limit", ["0", "201", "-1", "x", "1.5"])
def test_limit_out_of_range_is_422(api: Api, limit: str) -> None:
    check_error(api.get("/api/search", params={"q": "hello", "limit": limit}), 422)


def test_limit_default_50_and_bounds(api: Api) -> None:
    w = _word()
    cid = api.create_conversation()["id"]
    for i in range(30):  # 60 messages with the word
        turn = api.send(cid, f"{w} number {i}")
        api.follow(turn["reply"]["id"])
    assert len(_search(api, w)) == 50
    assert len(_search(api, w, limit=1)) == 1
    assert len(_search(api, w, limit=200)) == 60


def test_search_needs_the_token(api: Api) -> None:
    check_error(api.get("/api/search", params={"q": "x"}, auth=False), 401)
