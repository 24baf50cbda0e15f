"""The wire format of event streams, byte for byte."""

from __future__ import annotations

import asyncio

import pytest

from backend.broker import Outcome
from backend.records import Message
from backend.sse import (
    BadOffset,
    format_delta,
    format_outcome,
    format_retry,
    format_text_event,
    parse_offset,
    ping_event,
    stored_events,
)
from backend.tutorial import tutorial_events

MESSAGE = Message("m1", "c1", "assistant", "Hi 😀", "complete", "2026-01-01T00:00:00.000000Z")
MESSAGE_JSON = (
    '{"id": "m1", "conversation_id": "c1", "role": "assistant", "content": "Hi 😀", '
    '"status": "complete", "created_at": "2026-01-01T00:00:00.000000Z", '
    '"provider": null, "model": null, "error": null, '  # the extra fields of docs/API-EXTENSIONS.md
    '"reasoning": "", "parts": [{"type": "text", "text": "Hi 😀"}], "stats": null}'  # section 8
)


def test_retry() -> None:
    assert format_retry() == b"retry: 1000\n\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello", b'event: delta\nid: 5\ndata: {"text": "Hello"}\n\n'),
        ("a\nb", b'event: delta\nid: 5\ndata: {"text": "a\\nb"}\n\n'),
        ("a\r\nb", b'event: delta\nid: 5\ndata: {"text": "a\\r\\nb"}\n\n'),
        (
            "data: x\n\nevent: end",
            b'event: delta\nid: 5\ndata: {"text": "data: x\\n\\nevent: end"}\n\n',
        ),
        ("😀", b'event: delta\nid: 5\ndata: {"text": "\xf0\x9f\x98\x80"}\n\n'),
        ('"\\', b'event: delta\nid: 5\ndata: {"text": "\\"\\\\"}\n\n'),
    ],
)
def test_delta(text: str, expected: bytes) -> None:
    assert format_delta(text, 5) == expected


def test_end_carries_the_stored_message_and_its_length() -> None:
    assert (
        format_outcome(Outcome(MESSAGE))
        == ('event: end\nid: 4\ndata: {"message": ' + MESSAGE_JSON + "}\n\n").encode()
    )


def test_a_failed_reply_ends_with_error() -> None:
    failed = Message("m1", "c1", "assistant", "ab", "failed", "2026-01-01T00:00:00Z")
    frame = format_outcome(Outcome(failed, "The responder failed: boom"))
    assert frame.startswith(b'event: error\nid: 2\ndata: {"detail": "The responder failed: boom", ')
    assert b'"status": "failed"' in frame and frame.endswith(b"}\n\n")


def test_ping_is_exactly_a_comment() -> None:
    assert ping_event().encode() == b": ping\n\n"


def test_text_events_split_lines_into_data_lines() -> None:
    assert format_text_event("message", "a") == b"event: message\ndata: a\n\n"
    assert format_text_event("end", " ") == b"event: end\ndata:  \n\n"
    assert format_text_event("message", "\n") == b"event: message\ndata: \ndata: \n\n"


@pytest.mark.parametrize(("raw", "expected"), [(None, 0), ("", 0), ("0", 0), ("4", 4), ("2", 2)])
def test_parse_offset(raw: str | None, expected: int) -> None:
    assert parse_offset(raw, 4) == expected


@pytest.mark.parametrize("raw", ["5", "-1", "1.5", "abc", " 1", "١", "+1"])
def test_parse_offset_rejects(raw: str) -> None:
    with pytest.raises(BadOffset):
        parse_offset(raw, 4)


def test_stored_reply_from_an_offset() -> None:
    async def collect(offset: int) -> list[bytes]:
        return [frame async for frame in stored_events(MESSAGE, offset)]

    assert asyncio.run(collect(3)) == [
        b"retry: 1000\n\n",
        format_delta("😀", 4),
        format_outcome(Outcome(MESSAGE)),
    ]
    assert asyncio.run(collect(4)) == [b"retry: 1000\n\n", format_outcome(Outcome(MESSAGE))]


def test_tutorial_stream() -> None:
    async def collect(message: str | None) -> bytes:
        return b"".join([frame async for frame in tutorial_events(message, 0)])

    assert (
        asyncio.run(collect("hé"))
        == (
            "event: message\ndata: h\n\nevent: message\ndata: é\n\nevent: end\ndata:  \n\n"
        ).encode()
    )
    assert asyncio.run(collect(None)) == b""
