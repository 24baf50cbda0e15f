"""Turns: start a reply, run its generation task, persist it as it grows, stop it.

Everything here runs on the event loop. A conversation has at most one live reply; it is
reserved (and registered with the broker) before the store is touched, so a second turn in
the same conversation gets 409 and a subscriber can never find a `streaming` reply that the
broker does not know.

Finishing order: the final text and status are written to the store first, then the broker is
told (waking every subscriber with the stored message), then the reply leaves the broker. A
subscriber that comes later reads the complete reply from the store.

If the final write fails (a full disk) it is retried for `save_retry_seconds`; if it still
fails the reply ends `failed` ("Could not save the reply: the disk is full") with all its
text, and stays in the broker until `UnsavedReplies` has stored it so: a client is never told
a status the store does not hold (or will not hold once there is room).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from backend.broker import LiveReply, Outcome, ReplyBroker
from backend.errors import BadRequest, Conflict, NotFound
from backend.openai_upstream import UpstreamError
from backend.records import Message, Status, new_id
from backend.responders import (
    ChatMessage,
    Responder,
    ResponderSource,
    TunableResponder,
    resolve_responder,
)
from backend.store import DISK_FULL, NotFoundError, NotLastError, Store, storage_failure
from backend.store_thread import AsyncStore
from backend.unsaved import UnsavedReplies
from backend.upstream_errors import plain_text

logger = logging.getLogger(__name__)


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

    @property
    def reply_id(self) -> str:
        return self.live.reply_id

    @property
    def conversation_id(self) -> str:
        return self.live.conversation_id


class TurnService:
    """Starts, runs and stops replies; knows which conversations are streaming."""

    def __init__(
        self,
        store: AsyncStore,
        broker: ReplyBroker,
        responder: ResponderSource,
        persist_interval: float = 1.0,
        max_reply_chars: int = 1_000_000,
        max_tokens: int | None = None,
        save_retry_seconds: float = 10.0,
        save_retry_interval: float = 0.5,
    ) -> None:
        """`responder`: a fixed one, or a callable giving the current one when a turn starts.

        A reply is cut after `max_reply_chars` (`cut_note` appended); `max_tokens` is asked of
        responders that take it (an OpenAI-compatible upstream)."""
        self._store = store
        self._broker = broker
        self._responder_source = responder
        self._persist_interval = persist_interval
        self._max_reply_chars = max_reply_chars
        self._max_tokens = max_tokens
        self._save_retry_seconds = save_retry_seconds
        self._save_retry_interval = save_retry_interval
        self._unsaved = UnsavedReplies(store, broker, min(5.0, 10 * save_retry_interval))
        self._turns: dict[str, _Turn] = {}  # by reply id
        self._by_conversation: dict[str, _Turn] = {}
        self._deleting: set[str] = set()
        self._closed = False

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

    # -- starting turns ----------------------------------------------------------------------

    async def send(self, conversation_id: str, content: str) -> tuple[Message, Message]:
        """A new user message and its reply (`POST /api/conversations/{cid}/messages`)."""
        responder = self._current_responder()
        name, model = responder.name, responder.model
        return await self._start(
            conversation_id,
            responder,
            lambda rid: self._store.run(Store.add_turn, conversation_id, content, rid, name, model),
        )

    async def edit(self, message_id: str, content: str) -> tuple[Message, Message]:
        """Replace a user message, drop everything after it, reply anew (`PATCH`)."""
        message = await self._message(message_id)
        if message.role != "user":
            raise BadRequest("Only user messages can be edited")
        responder = self._current_responder()
        name, model = responder.name, responder.model
        return await self._start(
            message.conversation_id,
            responder,
            lambda rid: self._store.run(
                Store.edit_and_truncate, message_id, content, rid, name, model
            ),
        )

    async def regenerate(self, message_id: str) -> tuple[Message, Message]:
        """Replace the conversation's last reply with a new one; returns (user msg, reply)."""
        message = await self._message(message_id)
        if message.role != "assistant":
            raise BadRequest("Only assistant replies can be regenerated")
        cid = message.conversation_id
        if self.is_streaming(cid):
            raise Conflict("A reply is still streaming in this conversation")
        responder = self._current_responder()
        name, model = responder.name, responder.model

        async def replace(rid: str) -> tuple[Message, Message]:
            reply = await self._store.run(Store.replace_reply, message_id, rid, name, model)
            history = await self._store.run(Store.list_messages, cid)
            user = next((m for m in reversed(history) if m.role == "user"), None)
            if user is None:
                raise RuntimeError("a reply without a user message")
            return user, reply

        return await self._start(cid, responder, replace)

    def _current_responder(self) -> Responder:
        """The responder a turn starting now uses (and keeps until it ends)."""
        responder = resolve_responder(self._responder_source)
        if self._max_tokens is not None and isinstance(responder, TunableResponder):
            return responder.with_options(max_tokens=self._max_tokens)
        return responder

    async def _message(self, message_id: str) -> Message:
        message = await self._store.run(Store.get_message, message_id)
        if message is None:
            raise NotFound("Message not found")
        return message

    async def _start(
        self,
        conversation_id: str,
        responder: Responder,
        create: Callable[[str], Awaitable[tuple[Message, Message]]],
    ) -> tuple[Message, Message]:
        if self._closed:
            raise Conflict("The server is shutting down")
        if conversation_id in self._deleting:
            raise NotFound("Conversation not found")
        if self.is_streaming(conversation_id):
            raise Conflict("A reply is still streaming in this conversation")
        turn = _Turn(self._broker.register(new_id(), conversation_id), responder)
        self._turns[turn.reply_id] = turn
        self._by_conversation[conversation_id] = turn
        try:
            user, reply = await create(turn.reply_id)
            history = await self._store.run(Store.list_messages, conversation_id)
        except BaseException as exc:
            self._release(turn)
            if isinstance(exc, NotFoundError):
                raise NotFound(str(exc)) from None
            if isinstance(exc, NotLastError):
                raise BadRequest(str(exc)) from None
            raise
        turn.reply = reply
        chat = [ChatMessage(m.role, m.content) for m in history if m.id != reply.id]
        turn.task = asyncio.create_task(self._run(turn, chat), name=f"reply-{reply.id}")
        return user, reply

    def _release(self, turn: _Turn, *, keep_live: bool = False) -> None:
        if not keep_live:
            self._broker.discard(turn.reply_id)
        self._turns.pop(turn.reply_id, None)
        if self._by_conversation.get(turn.conversation_id) is turn:
            del self._by_conversation[turn.conversation_id]
        turn.done.set()

    # -- the generation task -------------------------------------------------------------------

    async def _run(self, turn: _Turn, history: Sequence[ChatMessage]) -> None:
        turn.started = True
        status: Status = turn.stop_reason or "complete"
        error: str | None = None
        if turn.stop_reason is None:
            status, error = await self._produce(turn, history)
        turn.finishing = True
        await self._finish(turn, status, error)

    async def _produce(
        self, turn: _Turn, history: Sequence[ChatMessage]
    ) -> tuple[Status, str | None]:
        flusher = asyncio.create_task(self._flush_periodically(turn))
        chunks: AsyncIterator[str] | None = None
        try:
            chunks = turn.responder.stream(history)
            limit = self._max_reply_chars
            async for chunk in chunks:
                room = limit - turn.live.length
                if len(chunk) > room:  # cut; closing the stream stops the upstream
                    turn.live.append(chunk[:room])
                    turn.live.append(cut_note(limit))
                    logger.warning("A reply was cut at the length limit (%d characters)", limit)
                    break
                turn.live.append(chunk)
        except asyncio.CancelledError:
            return turn.stop_reason or "interrupted", None
        except UpstreamError as exc:  # already a sentence for the user; no trace needed
            logger.warning("The %s responder failed: %s", turn.responder.name, exc.detail)
            return "failed", exc.detail
        except Exception as exc:
            logger.exception("The %s responder failed", turn.responder.name)
            said = plain_text(f"The responder failed: {exc}") if str(exc) else ""
            return "failed", said or "The responder failed"
        finally:
            flusher.cancel()
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:
                    logger.exception("Closing the responder's stream failed")
        return "complete", None

    async def _flush_periodically(self, turn: _Turn) -> None:
        """Persist the growing text at most (and at least) every `persist_interval` seconds."""
        saved = 0
        failing = False
        next_at = time.monotonic() + self._persist_interval
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += self._persist_interval
            if turn.live.length == saved:
                continue
            try:
                await self._store.run(Store.save_content, turn.reply_id, turn.live.text)
            except Exception as exc:
                if not failing:  # once per reply, not every second
                    logger.warning("Saving a reply's progress failed: %s", exc)
                failing = True
            else:
                saved, failing = turn.live.length, False

    async def _finish(self, turn: _Turn, status: Status, error: str | None) -> None:
        text = turn.live.text
        assert turn.reply is not None
        try:
            stored = await self._store_final(turn, text, status, error)
        except Exception as exc:  # not stored, even after retrying: say so, keep the text
            detail = unsaved_detail(exc)
            logger.error("A reply could not be stored: %s (%s)", detail, exc)
            told = replace(turn.reply, content=text, status="failed", error=detail)
            turn.live.finish(Outcome(told, detail))
            if turn.abandoned:  # its conversation is being deleted: nothing to keep
                self._release(turn)
                return
            self._unsaved.keep(told)
            self._release(turn, keep_live=True)
            return
        if stored is None:  # deleted meanwhile: report what we know
            stored = replace(turn.reply, content=text, status=status, error=error)
        turn.live.finish(Outcome(stored, error if status == "failed" else None))
        self._release(turn)

    async def _store_final(
        self, turn: _Turn, text: str, status: Status, error: str | None
    ) -> Message | None:
        """Write the final state; on failure retry every `save_retry_interval` seconds for
        `save_retry_seconds` (a full disk may get room) before raising the last error."""
        deadline = time.monotonic() + self._save_retry_seconds
        while True:
            try:
                return await self._store.run(Store.finish_reply, turn.reply_id, text, status, error)
            except Exception as exc:
                late = time.monotonic() + self._save_retry_interval > deadline
                if late or self._closed or turn.abandoned:
                    raise
                logger.warning("Storing a finished reply failed (%s); retrying", exc)
            await asyncio.sleep(self._save_retry_interval)

    # -- stopping ----------------------------------------------------------------------------

    async def _stop(self, turn: _Turn, reason: Status) -> None:
        if not turn.finishing and turn.stop_reason is None:
            turn.stop_reason = reason
            if turn.started and turn.task is not None:
                turn.task.cancel()
        await turn.done.wait()

    async def cancel(self, message_id: str) -> None:
        """Stop a live reply (status `cancelled`); a finished reply is left as it is."""
        turn = self._turns.get(message_id)
        if turn is None:
            message = await self._message(message_id)
            if message.role != "assistant":
                raise BadRequest("Only assistant replies can be cancelled")
            return
        await self._stop(turn, "cancelled")

    async def delete_conversation(self, conversation_id: str) -> None:
        """Cancel the conversation's live reply, then delete it with all its messages."""
        self._deleting.add(conversation_id)
        try:
            turn = self._by_conversation.get(conversation_id)
            if turn is not None:
                turn.abandoned = True  # a final write being retried gives up
                await self._stop(turn, "cancelled")
            deleted = await self._store.run(Store.delete_conversation, conversation_id)
        finally:
            self._deleting.discard(conversation_id)
        self._unsaved.forget_conversation(conversation_id)
        if not deleted:
            raise NotFound("Conversation not found")

    async def shutdown(self) -> None:
        """Stop every live reply as `interrupted` (persisted text kept) and wait for them."""
        self._closed = True
        turns = list(self._turns.values())
        if turns:
            logger.info(
                "Interrupting %d live repl%s", len(turns), "y" if len(turns) == 1 else "ies"
            )
            await asyncio.gather(*(self._stop(t, "interrupted") for t in turns))
        await self._unsaved.close()
