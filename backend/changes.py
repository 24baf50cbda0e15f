"""The global change stream (`GET /api/events`): what changed in the history, for live clients.

docs/API-EXTENSIONS.md describes the wire format. `ChangeFeed` keeps the last `keep` changes
in memory with increasing ids, wakes every subscriber on a new one, and says whether a client
that was away since id N can catch up (`since(N)`) or must reload (`None`: the change after N
is no longer kept, or N is from an earlier run of the server). Ids start at the server's start
time in microseconds, so an id from an earlier run is never mistaken for one of this run.

Only touched from the event loop's thread.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from backend.records import Conversation, Message
from backend.schemas import ConversationOut, MessageOut
from backend.wakeup import Wakeup

#: How many changes are kept for clients that reconnect.
KEEP = 1000

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_DELETED = "conversation.deleted"
MESSAGE_CREATED = "message.created"
MESSAGE_UPDATED = "message.updated"
RESET = "reset"  # reload what you show (a gap in a resume, an import)


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    kind: str
    data: dict[str, Any]


class ChangeFeed:
    """The recent changes, and a wake-up for everyone following them."""

    def __init__(self, keep: int = KEEP, first_id: int | None = None) -> None:
        self._log: deque[Change] = deque(maxlen=keep)
        self._last = time.time_ns() // 1000 if first_id is None else first_id
        self._wakeup = Wakeup()

    @property
    def last_id(self) -> int:
        """The id of the newest change (or the feed's starting id when there is none)."""
        return self._last

    @property
    def closed(self) -> bool:
        return self._wakeup.closed

    def publish(self, kind: str, data: dict[str, Any]) -> Change:
        self._last += 1
        change = Change(self._last, kind, data)
        self._log.append(change)
        self._wakeup.wake()
        return change

    def since(self, last_id: int) -> list[Change] | None:
        """The changes after `last_id`, or None when they cannot all be given."""
        if last_id == self._last:
            return []
        if last_id > self._last or not self._log or self._log[0].id > last_id + 1:
            return None
        return [c for c in self._log if c.id > last_id]

    async def wait_past(self, last_id: int) -> None:
        """Return once there is a change after `last_id`, or the feed is closed."""
        await self._wakeup.until(lambda: self._last > last_id)

    def close(self) -> None:
        """Server shutdown: wake every subscriber so its stream ends."""
        self._wakeup.close()

    # -- what the routes and turns publish --------------------------------------------------

    def conversation(self, kind: str, conversation: Conversation) -> None:
        self.publish(
            kind, {"conversation": ConversationOut.of(conversation).model_dump(mode="json")}
        )

    def conversation_deleted(self, conversation_id: str) -> None:
        self.publish(CONVERSATION_DELETED, {"conversation_id": conversation_id})

    def message(self, kind: str, message: Message) -> None:
        data: dict[str, Any] = {"message": MessageOut.of(message).model_dump(mode="json")}
        if message.role == "assistant" and message.status == "streaming":
            data["events_url"] = f"/api/messages/{message.id}/events"
        self.publish(kind, data)
