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
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from backend.broker import LiveReply, Outcome, ReplyBroker
from backend.changes import CONVERSATION_UPDATED, MESSAGE_CREATED, MESSAGE_UPDATED, ChangeFeed
from backend.errors import BadRequest, Conflict, NotFound
from backend.openai.errors import plain_text
from backend.reasoning import ReplySplitter
from backend.records import Message, Part, Stats, Status, merged, new_id, text_of
from backend.responders import (
    ChatMessage,
    Chunk,
    ConfigurableResponder,
    Responder,
    ResponderError,
    ResponderSource,
    TunableResponder,
    Usage,
    resolve_responder,
)
from backend.store import DISK_FULL, NotFoundError, Store, WrongRoleError, storage_failure
from backend.store_thread import AsyncStore
from backend.titles import ConversationNamer
from backend.unsaved import UnsavedReplies

logger = logging.getLogger(__name__)


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


def _within(parts: Sequence[Part], room: int) -> list[Part]:
    """`parts` cut to `room` code points in all."""
    kept: list[Part] = []
    for part in parts:
        if room <= 0:
            break
        kept.append(Part(part.type, part.text[:room]))
        room -= len(kept[-1].text)
    return kept


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


class TurnService:
    """Starts, runs and stops replies; knows which conversations are streaming."""

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

    # -- starting turns ----------------------------------------------------------------------

    async def send(self, conversation_id: str, content: str) -> tuple[Message, Message]:
        """A new user message and its reply (`POST /api/conversations/{cid}/messages`)."""
        responder = await self._responder_for(conversation_id)
        name, model = responder.name, responder.model
        return await self._start(
            conversation_id,
            responder,
            lambda rid: self._store.run(Store.add_turn, conversation_id, content, rid, name, model),
        )

    async def edit(self, message_id: str, content: str) -> tuple[Message, Message]:
        """An edited copy of a user message beside it, and a new reply to it (`PATCH`)."""
        message = await self._message(message_id)
        if message.role != "user":
            raise BadRequest("Only user messages can be edited")
        responder = await self._responder_for(message.conversation_id)
        name, model = responder.name, responder.model
        return await self._start(
            message.conversation_id,
            responder,
            lambda rid: self._store.run(Store.add_edit, message_id, content, rid, name, model),
        )

    async def regenerate(self, message_id: str) -> tuple[Message, Message]:
        """A new reply beside an assistant message; returns (the message it answers, reply)."""
        message = await self._message(message_id)
        if message.role != "assistant":
            raise BadRequest("Only assistant replies can be regenerated")
        responder = await self._responder_for(message.conversation_id)
        name, model = responder.name, responder.model
        return await self._start(
            message.conversation_id,
            responder,
            lambda rid: self._store.run(Store.add_regeneration, message_id, rid, name, model),
            user_change=lambda user: None,  # the message it answers is not new
        )

    async def set_head(self, conversation_id: str, message_id: str) -> list[Message]:
        """Switch the current path to the one through `message_id` (`PUT .../head`)."""
        if conversation_id in self._deleting:
            raise NotFound("Conversation not found")
        if conversation_id in self._branching:
            raise Conflict("A message of this conversation is being deleted")
        if self.is_streaming(conversation_id):
            raise Conflict("A reply is still streaming in this conversation")
        try:
            path = await self._store.run(Store.set_head, conversation_id, message_id)
        except NotFoundError as exc:
            raise NotFound(str(exc)) from None
        await self._conversation_changed(conversation_id)
        return path

    async def _conversation_changed(self, conversation_id: str) -> None:
        """Tell `changes` of a conversation whose head (or messages) changed."""
        if self._changes is None:
            return
        conversation = await self._store.run(Store.get_conversation, conversation_id)
        if conversation is not None:
            self._changes.conversation(CONVERSATION_UPDATED, conversation)

    async def delete_message(self, message_id: str) -> None:
        """Delete a message and everything below it; a reply streaming there is cancelled first."""
        try:
            cid, doomed = await self._store.run(Store.subtree, message_id)
        except NotFoundError as exc:
            raise NotFound(str(exc)) from None
        if cid in self._deleting:
            raise NotFound("Conversation not found")
        self._branching[cid] += 1  # no new turn starts below the doomed messages meanwhile
        try:
            turn = self._by_conversation.get(cid)
            if turn is not None and turn.reply_id in doomed:
                await self._stop(turn, "cancelled")
            await self._store.run(Store.delete_message, message_id)
        except NotFoundError as exc:
            raise NotFound(str(exc)) from None
        finally:
            self._branching[cid] -= 1
            if not self._branching[cid]:
                del self._branching[cid]
        await self._conversation_changed(cid)

    async def _responder_for(self, conversation_id: str) -> Responder:
        """The responder a turn starting now uses (and keeps until it ends): the current one,
        with the conversation's own model and system prompt where it sets them (section 11),
        asked for at most `max_tokens` where it takes that."""
        if self._closed:  # before the store, which closes after the turns
            raise Conflict("The server is shutting down")
        responder = resolve_responder(self._responder_source)
        conversation = await self._store.run(Store.get_conversation, conversation_id)
        if conversation is None:
            raise NotFound("Conversation not found")
        if isinstance(responder, ConfigurableResponder):
            responder = responder.configured(conversation.model, conversation.system_prompt)
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
        user_change: Callable[[Message], str | None] = lambda user: MESSAGE_CREATED,
    ) -> tuple[Message, Message]:
        """`user_change`: what `changes` hears of the turn's user message (None: nothing)."""
        if self._closed:
            raise Conflict("The server is shutting down")
        if conversation_id in self._deleting:
            raise NotFound("Conversation not found")
        if conversation_id in self._branching:
            raise Conflict("A message of this conversation is being deleted")
        if self.is_streaming(conversation_id):
            raise Conflict("A reply is still streaming in this conversation")
        turn = _Turn(self._broker.register(new_id(), conversation_id), responder)
        self._turns[turn.reply_id] = turn
        self._by_conversation[conversation_id] = turn
        try:
            user, reply = await create(turn.reply_id)
            history = await self._store.run(Store.list_messages, conversation_id)
            conversation = await self._store.run(Store.get_conversation, conversation_id)
        except BaseException as exc:
            self._release(turn)
            if isinstance(exc, NotFoundError):
                raise NotFound(str(exc)) from None
            if isinstance(exc, WrongRoleError):
                raise BadRequest(str(exc)) from None
            raise
        turn.reply = reply
        # The current path up to the new reply's parent: never another branch's messages.
        chat = [ChatMessage(m.role, m.content) for m in history if m.id != reply.id]
        if self._changes is not None:  # before the task can finish the reply
            if conversation is not None:
                self._changes.conversation(CONVERSATION_UPDATED, conversation)
            user_kind = user_change(user)
            if user_kind is not None:
                self._changes.message(user_kind, user)
            self._changes.message(MESSAGE_CREATED, reply)
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
        if status == "complete" and self._namer is not None:
            answer = turn.live.text
            self._namer.reply_completed(turn.conversation_id, turn.responder, history, answer)

    async def _produce(
        self, turn: _Turn, history: Sequence[ChatMessage]
    ) -> tuple[Status, str | None]:
        flusher = asyncio.create_task(self._flush_periodically(turn))
        chunks: AsyncIterator[Chunk] | None = None
        splitter = ReplySplitter()
        limit, cut = self._max_reply_chars, False
        try:
            chunks = turn.responder.stream(history)
            async for chunk in chunks:
                parts: Sequence[Part]
                fast = isinstance(chunk, str) and splitter.passing  # the answer's text as it is
                if isinstance(chunk, str) and fast:
                    parts = (Part("text", chunk),)
                else:
                    parts = splitter.feed(chunk)
                room = limit - turn.live.length
                if sum(len(p.text) for p in parts) > room:  # cut; closing the stream stops it
                    turn.add(_within(parts, room))
                    turn.add([Part("text", cut_note(limit))])
                    logger.warning("A reply was cut at the length limit (%d characters)", limit)
                    cut = True
                    break
                if fast:
                    turn.live.append(parts[0].text)
                else:
                    turn.add(parts)
        except asyncio.CancelledError:
            return turn.stop_reason or "interrupted", None
        except ResponderError as exc:  # already a sentence for the user; no trace needed
            logger.warning("The %s responder failed: %s", turn.responder.name, exc.detail)
            return "failed", exc.detail
        except Exception as exc:
            logger.exception("The %s responder failed", turn.responder.name)
            said = plain_text(f"The responder failed: {exc}") if str(exc) else ""
            return "failed", said or "The responder failed"
        finally:
            flusher.cancel()
            if not cut:  # held-back text (a tag never finished) is kept too
                turn.add(splitter.end())
            turn.usage = splitter.usage
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:
                    logger.exception("Closing the responder's stream failed")
        return "complete", None

    async def _flush_periodically(self, turn: _Turn) -> None:
        """Persist the growing parts at most (and at least) every `persist_interval` seconds."""
        saved = 0
        failing = False
        next_at = time.monotonic() + self._persist_interval
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += self._persist_interval
            if turn.live.length == saved:
                continue
            try:
                await self._store.run(
                    Store.save_parts, turn.reply_id, turn.live.parts(), turn.first_token_ms
                )
            except Exception as exc:
                if not failing:  # once per reply, not every second
                    logger.warning("Saving a reply's progress failed: %s", exc)
                failing = True
            else:
                saved, failing = turn.live.length, False

    async def _finish(self, turn: _Turn, status: Status, error: str | None) -> None:
        parts, stats = merged(turn.live.parts()), turn.stats()
        assert turn.reply is not None
        known = replace(
            turn.reply, content=text_of(parts), status=status, error=error, parts=parts, stats=stats
        )
        try:
            stored = await self._store_final(turn, known)
        except Exception as exc:  # not stored, even after retrying: say so, keep the text
            detail = unsaved_detail(exc)
            logger.error("A reply could not be stored: %s (%s)", detail, exc)
            told = replace(known, status="failed", error=detail)
            turn.live.finish(Outcome(told, detail))
            if turn.abandoned:  # its conversation is being deleted: nothing to keep
                self._release(turn)
                return
            self._unsaved.keep(told)
            self._release(turn, keep_live=True)
            return
        if stored is None:  # deleted meanwhile: report what we know
            stored = known
        turn.live.finish(Outcome(stored, error if status == "failed" else None))
        self._release(turn)
        if self._changes is not None:
            self._changes.message(MESSAGE_UPDATED, stored)

    async def _store_final(self, turn: _Turn, final: Message) -> Message | None:
        """Write the final state; on failure retry every `save_retry_interval` seconds for
        `save_retry_seconds` (a full disk may get room) before raising the last error."""
        deadline = time.monotonic() + self._save_retry_seconds
        while True:
            try:
                return await self._store.run(
                    Store.finish_parts,
                    final.id,
                    final.all_parts,
                    final.status,
                    final.error,
                    final.stats,
                )
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
        if self._changes is not None:
            self._changes.conversation_deleted(conversation_id)

    async def shutdown(self) -> None:
        """Stop every live reply as `interrupted` (persisted text kept) and wait for them."""
        self._closed = True
        if self._namer is not None:
            await self._namer.close()
        turns = list(self._turns.values())
        if turns:
            logger.info(
                "Interrupting %d live repl%s", len(turns), "y" if len(turns) == 1 else "ies"
            )
            await asyncio.gather(*(self._stop(t, "interrupted") for t in turns))
        await self._unsaved.close()
