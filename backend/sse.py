"""The event stream of a reply (PROTOCOL.md section 4).

The `format_*` functions are the wire format, pure and byte-exact; `reply_events` is the I/O:
it follows a live reply (or reads a finished one) from a code-point offset.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

from backend.broker import LiveReply, Outcome
from backend.records import Message, Part
from backend.schemas import MessageOut

RETRY_MS = 1000
#: A live subscriber is sent at most one event (per part) this often: text that comes
#: sooner after the last event waits, merged, until then (section 4 allows merging). A
#: realistic 100 tokens/s then costs ~50 events a second instead of 100, and 1,000 tokens/s
#: the same 50. The first text after a quiet spell, and the end, go at once.
MERGE_SECONDS = 0.020
PING = b": ping\n\n"
MEDIA_TYPE = "text/event-stream"  # Starlette appends "; charset=utf-8"
STREAM_HEADERS: Mapping[str, str] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

_WHOLE_NUMBER = re.compile(r"[0-9]+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class BadOffset(ValueError):
    """A `Last-Event-ID` that is not a whole number, or lies beyond the reply."""


def format_retry(milliseconds: int = RETRY_MS) -> bytes:
    return f"retry: {milliseconds}\n\n".encode()


def format_event(event: str, data: Mapping[str, Any], event_id: int | None = None) -> bytes:
    """One event whose data is a single line of JSON (JSON escapes CR and LF)."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def format_text_event(event: str, text: str) -> bytes:
    """An event whose data is raw text: each line of it becomes one `data:` line."""
    lines = [f"event: {event}"] + [f"data: {line}" for line in _LINE_BREAK.split(text)]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def format_delta(text: str, length: int) -> bytes:
    return format_event("delta", {"text": text}, length)


#: The event that carries each kind of part (section 4).
PART_EVENTS = {"text": "delta", "reasoning": "reasoning"}


def format_part(part: Part, length: int) -> bytes:
    """A `delta` (answer text) or `reasoning` event; `length` is the reply's after it."""
    return format_event(PART_EVENTS[part.type], {"text": part.text}, length)


def parts_after(parts: tuple[Part, ...], offset: int) -> list[Part]:
    """What follows code point `offset` of `parts`: from the part it falls in, in order."""
    out: list[Part] = []
    start = 0
    for part in parts:
        end = start + len(part.text)
        if end > offset:
            out.append(part if offset <= start else Part(part.type, part.text[offset - start :]))
        start = end
    return out


def message_json(message: Message) -> dict[str, Any]:
    return MessageOut.of(message).model_dump(mode="json")


def format_outcome(outcome: Outcome) -> bytes:
    """`end` with the stored message, or `error` (with its detail) for a failed reply."""
    length = outcome.message.length
    if outcome.message.status == "failed":
        detail = outcome.error or "The reply failed"
        return format_event(
            "error", {"detail": detail, "message": message_json(outcome.message)}, length
        )
    return format_event("end", {"message": message_json(outcome.message)}, length)


def parse_offset(raw: str | None, length: int) -> int:
    """The resume offset from `Last-Event-ID`; absent or empty means 0."""
    if raw is None or raw == "":
        return 0
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise BadOffset(f"Last-Event-ID must be a whole number, not {raw!r}")
    offset = int(raw)
    if offset > length:
        raise BadOffset(f"Last-Event-ID {offset} is beyond the reply's length ({length})")
    return offset


async def live_events(
    reply: LiveReply, offset: int, merge_seconds: float = MERGE_SECONDS
) -> AsyncIterator[bytes]:
    """Follow a live reply from `offset`: merged events (one per part) as it grows, at most
    one round of them per `merge_seconds` (text that comes sooner waits for the rest, unless
    the reply ends meanwhile), then its outcome.

    Ends without an outcome if the server shuts down meanwhile.
    """
    loop = asyncio.get_running_loop()
    yield format_retry()
    sent_at = -merge_seconds  # loop time of the last round of events
    while True:
        if reply.length > offset:
            wait = sent_at + merge_seconds - loop.time()
            if wait > 0 and reply.outcome is None and not reply.closed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reply.wait_over(), wait)
            for part in reply.parts_from(offset):
                offset += len(part.text)
                yield format_part(part, offset)
            sent_at = loop.time()
            continue
        outcome = reply.outcome
        if outcome is not None:
            yield format_outcome(outcome)
            return
        if reply.closed:
            return
        await reply.wait_past(offset)


async def stored_events(message: Message, offset: int) -> AsyncIterator[bytes]:
    """A finished reply from the store: what follows `offset`, then `end` or `error`."""
    yield format_retry()
    for part in parts_after(message.all_parts, offset):
        offset += len(part.text)
        yield format_part(part, offset)
    yield format_outcome(Outcome(message, message.error))


def ping_event() -> ServerSentEvent:
    """The keep-alive comment, exactly `: ping` (sse-starlette's default adds a timestamp)."""
    return ServerSentEvent(comment="ping", sep="\n")


def stream_response(body: AsyncIterator[bytes], ping_interval: float) -> EventSourceResponse:
    """An event-stream response with PROTOCOL.md section 4's headers and `: ping` keep-alive."""
    return EventSourceResponse(
        body,
        headers=STREAM_HEADERS,
        media_type=MEDIA_TYPE,
        ping=ping_interval,
        sep="\n",
        ping_message_factory=ping_event,
    )
