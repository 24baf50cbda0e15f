"""In-memory live replies: the text so far, fan-out to any number of subscribers, resume.

A reply's text is kept as the list of chunks appended so far plus their cumulative lengths in
code points, so `text_from(offset)` costs O(log n + size of the result). Subscribers hold no
queue: each reads the shared text from its own offset, so a slow one merges many chunks into
one delta instead of buffering them.
"""

from __future__ import annotations

import asyncio
import bisect
from dataclasses import dataclass

from backend.records import Message


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a reply ended: the stored message, and the error detail if it failed."""

    message: Message
    error: str | None = None


class LiveReply:
    """One reply being generated. Only touched from the event loop's thread."""

    def __init__(self, reply_id: str, conversation_id: str) -> None:
        self.reply_id = reply_id
        self.conversation_id = conversation_id
        self._chunks: list[str] = []
        self._ends: list[int] = []
        self._length = 0
        self._outcome: Outcome | None = None
        self._closed = False
        self._changed = asyncio.Event()

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
        return self._closed

    def text_from(self, offset: int) -> str:
        """The text from code point `offset` to the current end."""
        if offset < 0 or offset > self._length:
            raise ValueError(f"offset {offset} outside 0..{self._length}")
        if offset == self._length:
            return ""
        index = bisect.bisect_right(self._ends, offset)
        start = self._ends[index - 1] if index else 0
        head = self._chunks[index][offset - start :]
        if index + 1 == len(self._chunks):
            return head
        return head + "".join(self._chunks[index + 1 :])

    @property
    def text(self) -> str:
        return self.text_from(0)

    def append(self, chunk: str) -> None:
        if self._outcome is not None:
            raise RuntimeError("append to a finished reply")
        if not chunk:
            return
        self._chunks.append(chunk)
        self._length += len(chunk)
        self._ends.append(self._length)
        self._wake()

    def finish(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_past(self, offset: int) -> None:
        """Return once there is text beyond `offset`, the reply has finished, or closed."""
        while self._length <= offset and self._outcome is None and not self._closed:
            await self._changed.wait()


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
