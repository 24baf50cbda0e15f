"""In-memory live replies: the parts so far, fan-out to any number of subscribers, resume.

A reply is its ordered parts (reasoning, text: PROTOCOL.md section 8), offsets counted in code
points over all of them in order. Each part keeps the chunks appended to it and their
cumulative end offsets, so `parts_from(offset)` costs O(log n + size of the result).
Subscribers hold no queue: each reads the shared parts from its own offset, so a slow one
merges many chunks into one event per part instead of buffering them.
"""

from __future__ import annotations

import asyncio
import bisect
from dataclasses import dataclass, field

from backend.records import Message, Part, PartType
from backend.wakeup import Wakeup


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a reply ended: the stored message, and the error detail if it failed."""

    message: Message
    error: str | None = None


@dataclass(slots=True)
class _LivePart:
    """One part of a live reply: its chunks and their end offsets (over the whole reply)."""

    type: PartType
    start: int
    chunks: list[str] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    def text_from(self, offset: int) -> str:
        if offset <= self.start:
            return "".join(self.chunks)
        index = bisect.bisect_right(self.ends, offset)
        if index == len(self.chunks):
            return ""
        begin = self.ends[index - 1] if index else self.start
        head = self.chunks[index][offset - begin :]
        return head + "".join(self.chunks[index + 1 :])


class LiveReply:
    """One reply being generated. Only touched from the event loop's thread."""

    def __init__(self, reply_id: str, conversation_id: str) -> None:
        self.reply_id = reply_id
        self.conversation_id = conversation_id
        self._parts: list[_LivePart] = []
        self._starts: list[int] = []  # each part's start offset
        self._length = 0
        self._outcome: Outcome | None = None
        self._wakeup = Wakeup()
        self._over = asyncio.Event()  # finished or closed (woken once, not per chunk)

    @property
    def length(self) -> int:
        """Code points produced so far."""
        return self._length

    @property
    def outcome(self) -> Outcome | None:
        """Set once the reply has finished and its final state is stored."""
        return self._outcome

    @property
    def closed(self) -> bool:
        """True when the server is shutting down: subscribers should leave."""
        return self._wakeup.closed

    def parts_from(self, offset: int) -> list[Part]:
        """What follows code point `offset`: one part from the one `offset` falls in, in order.

        At a boundary between two parts, the first part returned is the later one.
        """
        if offset < 0 or offset > self._length:
            raise ValueError(f"offset {offset} outside 0..{self._length}")
        first = max(bisect.bisect_right(self._starts, offset) - 1, 0)
        out: list[Part] = []
        for part in self._parts[first:]:
            text = part.text_from(offset)
            if text:
                out.append(Part(part.type, text))
        return out

    def text_from(self, offset: int) -> str:
        """Everything from code point `offset` to the current end, all parts joined."""
        return "".join(p.text for p in self.parts_from(offset))

    def parts(self) -> tuple[Part, ...]:
        """The reply so far, as its parts."""
        return tuple(self.parts_from(0))

    @property
    def text(self) -> str:
        """The answer's text so far (its `text` parts; what becomes `content`)."""
        return "".join(p.text for p in self.parts_from(0) if p.type == "text")

    def append(self, chunk: str, kind: PartType = "text") -> None:
        if self._outcome is not None:
            raise RuntimeError("append to a finished reply")
        if not chunk:
            return
        if not self._parts or self._parts[-1].type != kind:
            self._parts.append(_LivePart(kind, self._length))
            self._starts.append(self._length)
        part = self._parts[-1]
        part.chunks.append(chunk)
        self._length += len(chunk)
        part.ends.append(self._length)
        self._wake()

    def finish(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._over.set()
        self._wake()

    def close(self) -> None:
        self._over.set()
        self._wakeup.close()

    def _wake(self) -> None:
        self._wakeup.wake()

    async def wait_past(self, offset: int) -> None:
        """Return once there is text beyond `offset`, the reply has finished, or closed."""
        await self._wakeup.until(lambda: self._length > offset or self._outcome is not None)

    async def wait_over(self) -> None:
        """Return once the reply has finished, or closed (new text does not wake it)."""
        await self._over.wait()


class ReplyBroker:
    """The live replies by id."""

    def __init__(self) -> None:
        self._replies: dict[str, LiveReply] = {}
        self._closed = False

    def register(self, reply_id: str, conversation_id: str) -> LiveReply:
        if reply_id in self._replies:
            raise KeyError(f"reply {reply_id} is already live")
        reply = LiveReply(reply_id, conversation_id)
        if self._closed:
            reply.close()
        self._replies[reply_id] = reply
        return reply

    def get(self, reply_id: str) -> LiveReply | None:
        return self._replies.get(reply_id)

    def discard(self, reply_id: str) -> None:
        self._replies.pop(reply_id, None)

    def __len__(self) -> int:
        return len(self._replies)

    @property
    def closed(self) -> bool:
        return self._closed

    def close_subscribers(self) -> None:
        """Server shutdown: wake every subscriber so its stream ends."""
        self._closed = True
        for reply in self._replies.values():
            reply.close()
