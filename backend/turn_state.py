"""A turn's state, and what the parts of `TurnService` share: the live turns by reply and
by conversation, the queries on them, releasing a turn when it ends.

`TurnService` (backend/turns.py) builds on this: `backend.turn_task` runs a turn's
generation task, backend/turns.py starts and stops turns.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from backend.broker import LiveReply, ReplyBroker
from backend.changes import ChangeFeed
from backend.errors import NotFound
from backend.records import Message, Part, Stats, Status
from backend.responders import Responder, ResponderSource, Usage
from backend.store import DISK_FULL, Store, storage_failure
from backend.store_thread import AsyncStore
from backend.titles import ConversationNamer
from backend.unsaved import UnsavedReplies


def _ms_since(start: float) -> int:
    return round((time.monotonic() - start) * 1000)


DISK_FULL_DETAIL = "Could not save the reply: the disk is full"
DISK_IO_DETAIL = "Could not save the reply: the disk failed (I/O error)"
NOT_SAVED_DETAIL = "Could not save the reply: the chat history could not be written"


def unsaved_detail(exc: BaseException) -> str:
    """Why a reply's final write failed, for its `error` event."""
    reason = storage_failure(exc.__cause__ or exc)
    if reason == DISK_FULL:
        return DISK_FULL_DETAIL
    if reason is not None:
        return DISK_IO_DETAIL
    return NOT_SAVED_DETAIL


def cut_note(limit: int) -> str:
    """Appended to a reply cut at `max_reply_chars` (it then ends `complete`)."""
    return f"\n\n[cut off at the length limit of {limit:,} characters]"


@dataclass(eq=False)
class _Turn:
    live: LiveReply
    responder: Responder
    reply: Message | None = None
    task: asyncio.Task[None] | None = None
    started: bool = False
    finishing: bool = False
    stop_reason: Status | None = None
    abandoned: bool = False  # its conversation is being deleted: stop retrying the save
    done: asyncio.Event = field(default_factory=asyncio.Event)
    # Section 8: when the reply started and produced its first text or reasoning, its usage.
    started_at: float = field(default_factory=time.monotonic)
    first_token_ms: int | None = None
    usage: Usage | None = None

    def add(self, parts: Sequence[Part]) -> None:
        for part in parts:
            if self.first_token_ms is None:
                self.first_token_ms = _ms_since(self.started_at)
            self.live.append(part.text, part.type)

    def stats(self) -> Stats:
        usage = self.usage or Usage()
        return Stats(
            self.first_token_ms,
            _ms_since(self.started_at),
            usage.prompt_tokens,
            usage.completion_tokens,
        )

    @property
    def reply_id(self) -> str:
        return self.live.reply_id

    @property
    def conversation_id(self) -> str:
        return self.live.conversation_id


class TurnState:
    """The live turns of a `TurnService` and what it was configured with."""

    def __init__(
        self,
        store: AsyncStore,
        broker: ReplyBroker,
        responder: ResponderSource,
        persist_interval: float = 1.0,
        namer: ConversationNamer | None = None,
        changes: ChangeFeed | None = None,
        *,
        max_reply_chars: int = 1_000_000,
        max_tokens: int | None = None,
        save_retry_seconds: float = 10.0,
        save_retry_interval: float = 0.5,
    ) -> None:
        """`responder`: a fixed one, or a callable giving the current one when a turn starts.

        `namer`, if given, is told of each completed reply (titles by the model); `changes`, if
        given, of every turn started and finished (`GET /api/events`). A reply is cut after
        `max_reply_chars` code points (`cut_note` appended); `max_tokens` is asked of
        responders that take it (an OpenAI-compatible upstream).
        """
        self._store = store
        self._broker = broker
        self._responder_source = responder
        self._persist_interval = persist_interval
        self._namer = namer
        self._max_reply_chars = max_reply_chars
        self._max_tokens = max_tokens
        self._save_retry_seconds = save_retry_seconds
        self._save_retry_interval = save_retry_interval
        self._unsaved = UnsavedReplies(store, broker, min(5.0, 10 * save_retry_interval))
        self._turns: dict[str, _Turn] = {}  # by reply id
        self._by_conversation: dict[str, _Turn] = {}
        self._deleting: set[str] = set()
        self._branching: Counter[str] = Counter()  # deletes of messages under way
        self._closed = False
        self._changes = changes

    # -- queries ---------------------------------------------------------------------------

    def is_streaming(self, conversation_id: str) -> bool:
        return conversation_id in self._by_conversation

    def live_reply(self, reply_id: str) -> LiveReply | None:
        return self._broker.get(reply_id)

    def unsaved(self, reply_id: str) -> Message | None:
        """A reply that ended but is not stored yet (a full disk), as it was told."""
        return self._unsaved.get(reply_id)

    async def shown(self, message: Message) -> Message:
        """`message` as clients are told it: an unsaved reply as it ended, not as stored;
        a reply stored `streaming` that no task produces (a previous process died while it
        streamed, not marked yet) as `interrupted`."""
        unsaved = self._unsaved.get(message.id)
        if unsaved is not None:
            return unsaved
        if message.status != "streaming" or self._broker.get(message.id) is not None:
            return message
        fresh = await self._store.run(Store.get_message, message.id)  # it may just have ended
        if fresh is None or fresh.status != "streaming" or self._broker.get(message.id):
            return fresh or message
        return replace(fresh, status="interrupted")

    async def _message(self, message_id: str) -> Message:
        message = await self._store.run(Store.get_message, message_id)
        if message is None:
            raise NotFound("Message not found")
        return message

    def _release(self, turn: _Turn, *, keep_live: bool = False) -> None:
        if not keep_live:
            self._broker.discard(turn.reply_id)
        self._turns.pop(turn.reply_id, None)
        if self._by_conversation.get(turn.conversation_id) is turn:
            del self._by_conversation[turn.conversation_id]
        turn.done.set()
