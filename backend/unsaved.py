"""Replies whose final write could not be stored (a full disk, issue 11 item 3).

A reply that ends while the disk is full is told to its subscribers as `failed` ("Could not
save the reply: the disk is full"), with all its text; the store still holds it `streaming`
with the text of its last successful save. Until that is fixed the reply stays in the broker
(so a subscriber who comes later, or resumes, still gets every character and the same
outcome) and `UnsavedReplies` keeps trying, in the background, to store it exactly as it was
told: `failed`, that error, the whole text. Once that lands the broker lets it go. A process
that dies meanwhile leaves the reply `streaming`, which the next start marks `interrupted`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from backend.broker import ReplyBroker
from backend.records import Message
from backend.store import Store
from backend.store_thread import AsyncStore

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    message: Message  # as the subscribers were told it
    task: asyncio.Task[None] | None = None


class UnsavedReplies:
    """The replies waiting to be stored, each retried every `interval` seconds."""

    def __init__(self, store: AsyncStore, broker: ReplyBroker, interval: float) -> None:
        self._store = store
        self._broker = broker
        self._interval = interval
        self._pending: dict[str, _Pending] = {}

    def get(self, reply_id: str) -> Message | None:
        """The message as its subscribers were told it, while it is not stored yet."""
        pending = self._pending.get(reply_id)
        return None if pending is None else pending.message

    def __len__(self) -> int:
        return len(self._pending)

    def keep(self, message: Message) -> None:
        """Store `message` (already finished in the broker) as soon as the disk lets us."""
        pending = _Pending(message)
        self._pending[message.id] = pending
        pending.task = asyncio.create_task(self._retry(pending), name=f"unsaved-{message.id}")

    async def _write(self, message: Message) -> bool:
        """True once the message is stored (or gone: deleted meanwhile)."""
        try:
            await self._store.run(
                Store.finish_parts,
                message.id,
                message.all_parts,
                "failed",
                message.error,
                message.stats,
            )
        except Exception as exc:
            logger.debug("Reply %s still cannot be stored: %s", message.id, exc)
            return False
        return True

    async def _retry(self, pending: _Pending) -> None:
        while True:
            await asyncio.sleep(self._interval)
            if await self._write(pending.message):
                break
        logger.info("Reply %s stored now that the disk has room", pending.message.id)
        self._forget(pending.message.id)

    def _forget(self, reply_id: str) -> None:
        pending = self._pending.pop(reply_id, None)
        if pending is None:
            return
        self._broker.discard(reply_id)
        if pending.task is not None and pending.task is not asyncio.current_task():
            pending.task.cancel()

    def forget_conversation(self, conversation_id: str) -> None:
        """The conversation was deleted: nothing of it is left to store."""
        for reply_id, pending in list(self._pending.items()):
            if pending.message.conversation_id == conversation_id:
                self._forget(reply_id)

    async def close(self) -> None:
        """Shutdown: one last try for each, then stop trying."""
        for reply_id, pending in list(self._pending.items()):
            if pending.task is not None:
                pending.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending.task
            if not await self._write(pending.message):
                logger.warning(
                    "Reply %s could not be stored before shutdown; it will be marked "
                    "interrupted with the text saved before the disk filled",
                    reply_id,
                )
            self._pending.pop(reply_id, None)
