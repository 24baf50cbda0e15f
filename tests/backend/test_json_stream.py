"""`JsonItems`: the streaming reader of an import file, fed in chunks of any size."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.json_stream import ItemTooLarge, JsonItems, NotJson, TooDeep


def read(doc: bytes, chunk: int, cap: int = 1 << 20) -> tuple[str | None, list[Any], dict]:
    parser = JsonItems("conversations", cap)
    items: list[Any] = []
    for start in range(0, len(doc), chunk):
        parser.feed(doc[start : start + chunk])
        items += parser.items()
    parser.close()
    items += parser.items()
    assert parser.finished
    return parser.kind, items, parser.header


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000])
def test_items_of_a_list_and_of_an_object(chunk: int) -> None:
    assert read(b'[1, -2.5e-3, {"a": [1, 2]}, null, "x", true, 1e999]', chunk)[1] == [
        1, -0.0025, {"a": [1, 2]}, None, "x", True, float("inf"),
    ]  # fmt: skip
    kind, items, header = read(
        b'{"v": 12345, "conversations": [{"id": 1}, 2], "format": "sse-chat"}', chunk
    )
    assert kind == "object" and items == [{"id": 1}, 2]
    assert header == {"v": 12345, "format": "sse-chat"}
    assert read(b"\xef\xbb\xbf [ ] ", chunk)[:2] == ("list", [])  # a BOM is dropped


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        (b"", "ends before"),
        (b"   ", "ends before"),
        (b"5", "neither"),
        (b'"text"', "neither"),
        (b"[1,]", "not valid JSON"),
        (b"[1 2]", "not valid JSON"),
        (b'[{"a":1}', "ends before"),
        (b'[{"a":1}] x', "goes on"),
        (b'{"a":1,}', "not valid JSON"),
        (b'{"a" 1}', "not valid JSON"),
        (b"[tru]", "not valid JSON"),
        (b'["\xff"]', "UTF-8"),
        (b'[{"a": "\xc3"', "UTF-8"),
        (b"[" * 100_000, "nested too deeply|ends before"),
        (b'{"a":' * 10_000, "nested too deeply"),
        (b"[" + b"9" * 5000 + b"]", "number too long"),
        (b'{"content": ' + b"9" * 5000 + b"}", "number too long"),
        (b'[{"a": ' + b"9" * 5000 + b"}]", "number too long"),
    ],
)
@pytest.mark.parametrize("chunk", [1, 64, 100_000])
def test_flaws_are_not_json(doc: bytes, why: str, chunk: int) -> None:
    with pytest.raises(NotJson, match=why):
        read(doc, max(chunk, len(doc) // 100))  # (a deep one fed byte by byte takes long)


def test_an_item_over_the_cap_is_refused_while_it_is_still_arriving() -> None:
    parser = JsonItems("conversations", 1000)
    parser.feed(b'[{"a": 1}, "')
    assert list(parser.items()) == [{"a": 1}]
    with pytest.raises(ItemTooLarge):
        for _ in range(100):
            parser.feed(b"x" * 100)
            list(parser.items())


JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=80, deadline=None)
@given(
    items=st.lists(JSON, max_size=8),
    wrapped=st.booleans(),
    ascii_only=st.booleans(),
    chunk=st.integers(1, 64),
)
def test_any_document_reads_back_whatever_the_chunks(
    items: list[Any], wrapped: bool, ascii_only: bool, chunk: int
) -> None:
    doc: Any = {"format": "x", "conversations": items, "n": 1} if wrapped else items
    raw = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:  # a lone surrogate written raw: not UTF-8
        with pytest.raises(NotJson):
            read(raw, chunk)
        return
    assert read(raw, chunk)[1] == items


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_an_item_nested_too_deeply_is_passed_over(chunk: int) -> None:
    deep = b'[{"s": "]}[{"}, ' + b"[" * 5000 + b'"]"' + b"]" * 5000 + b', {"ok": 1}]'
    kind, items, _ = read(deep, chunk)
    assert items[0] == {"s": "]}[{"} and isinstance(items[1], TooDeep) and items[2] == {"ok": 1}
