"""Reading an upstream's answers within bounds (issue 11, item 4): an error body, a model list
or a JSON answer is read up to a cap, and an event stream is decoded here (Server-Sent Events,
as httpx-sse does) with a cap on one event and on bytes that carry no text, so an endless or
hostile answer can neither hang a request nor fill the memory.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator

import httpx
from httpx_sse import ServerSentEvent

MIB = 1 << 20
#: Quoted in an error detail only; the rest of an error body is not read.
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_MODEL_LIST_BYTES = 4 * MIB
#: A non-streamed `chat.completion` (the reply itself is cut later at `max_reply_chars`).
MAX_JSON_ANSWER_BYTES = 32 * MIB
#: One event of a stream (a chunk of a few tokens is a few hundred bytes).
MAX_EVENT_BYTES = 4 * MIB
#: Bytes of stream without any text of the reply: an upstream looping on empty chunks.
MAX_SILENT_BYTES = 16 * MIB

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class AnswerTooLarge(Exception):
    """The upstream's answer went past `limit` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit / MIB:g} MiB")
        self.limit = limit


def size_text(limit: int) -> str:
    return f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit // 1024} KiB"


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed `response`, at most `limit` bytes; `AnswerTooLarge` past it.

    Reading stops there: the rest is never received (the caller closes the response).
    """
    parts: list[bytes] = []
    size = 0
    async for part in response.aiter_bytes():
        size += len(part)
        if size > limit:
            raise AnswerTooLarge(limit)
        parts.append(part)
    return b"".join(parts)


async def read_head(response: httpx.Response, limit: int = MAX_ERROR_BODY_BYTES) -> bytes:
    """The first `limit` bytes of a streamed body (an error body: enough to quote it)."""
    parts: list[bytes] = []
    size = 0
    async for part in response.aiter_bytes():
        parts.append(part)
        size += len(part)
        if size >= limit:
            break
    return b"".join(parts)[:limit]


class _Decoder:
    """The event-stream interpretation of the HTML standard, as httpx-sse's `SSEDecoder`."""

    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.last_id = ""  # kept across events, as the standard says
        self.retry: int | None = None

    def line(self, line: str) -> ServerSentEvent | None:
        if not line:
            if not self.event and not self.data and not self.last_id and self.retry is None:
                return None
            sse = ServerSentEvent(
                event=self.event, data="\n".join(self.data), id=self.last_id, retry=self.retry
            )
            self.event, self.data, self.retry = "", [], None
            return sse
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_id = value
        elif name == "retry" and value.isdigit():
            self.retry = int(value)
        return None


async def capped_events(response: httpx.Response) -> AsyncIterator[tuple[ServerSentEvent, int]]:
    """The events of an event-stream `response`, each with the bytes it took on the wire.

    `AnswerTooLarge(MAX_EVENT_BYTES)` when one event (or a line without an end) is larger.
    An event the stream ends in the middle of is dropped, as httpx-sse does.
    """
    text_of = codecs.getincrementaldecoder("utf-8")(errors="replace")
    decoder = _Decoder()
    pending: list[str] = []  # the start of a line whose end has not come yet
    size = 0  # bytes since the last event
    async for raw in response.aiter_bytes():
        size += len(raw)
        text = text_of.decode(raw)
        if "\n" not in text and "\r" not in text[:-1]:  # no line ends here: keep it
            pending.append(text)
            if size > MAX_EVENT_BYTES:
                raise AnswerTooLarge(MAX_EVENT_BYTES)
            continue
        text = "".join((*pending, text))
        held = ""
        if text.endswith("\r"):  # perhaps the first half of "\r\n"
            text, held = text[:-1], "\r"
        lines = _LINE_BREAK.split(text)
        pending = [lines.pop() + held]
        for line in lines:
            event = decoder.line(line)
            if event is not None:
                yield event, size
                size = 0
        if size > MAX_EVENT_BYTES:
            raise AnswerTooLarge(MAX_EVENT_BYTES)
