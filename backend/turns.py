"""Turns: start a reply, stop it; `TurnService` is the one the routes use.

Everything here runs on the event loop. A conversation has at most one live reply; it is
reserved (and registered with the broker) before the store is touched, so a second turn in
the same conversation gets 409 and a subscriber can never find a `streaming` reply that the
broker does not know. The reply's generation task is `backend.turn_task`; the turn's state,
`backend.turn_state`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from backend.changes import CONVERSATION_UPDATED, MESSAGE_CREATED
from backend.errors import BadRequest, Conflict, NotFound
from backend.records import Message, Role, Status, new_id
from backend.responders import (
    ChatMessage,
    ConfigurableResponder,
    Responder,
    TunableResponder,
    resolve_responder,
)
from backend.store import NotFoundError, Store, WrongRoleError
from backend.turn_state import (
    DISK_FULL_DETAIL,
    DISK_IO_DETAIL,
    NOT_SAVED_DETAIL,
    _Turn,
    cut_note,
    unsaved_detail,
)
from backend.turn_task import TurnTask

__all__ = [
    "DISK_FULL_DETAIL",
    "DISK_IO_DETAIL",
    "NOT_SAVED_DETAIL",
    "TurnService",
    "cut_note",
    "unsaved_detail",
]

logger = logging.getLogger(__name__)


class TurnService(TurnTask):
    """Starts, runs and stops replies; knows which conversations are streaming."""

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
        return await self._start_beside(
            message_id,
            "user",
            "Only user messages can be edited",
            lambda rid, name, model: self._store.run(
                Store.add_edit, message_id, content, rid, name, model
            ),
        )

    async def regenerate(self, message_id: str) -> tuple[Message, Message]:
        """A new reply beside an assistant message; returns (the message it answers, reply)."""
        return await self._start_beside(
            message_id,
            "assistant",
            "Only assistant replies can be regenerated",
            lambda rid, name, model: self._store.run(
                Store.add_regeneration, message_id, rid, name, model
            ),
            user_change=lambda user: None,  # the message it answers is not new
        )

    async def _start_beside(
        self,
        message_id: str,
        role: Role,
        refusal: str,
        create: Callable[[str, str, str | None], Awaitable[tuple[Message, Message]]],
        user_change: Callable[[Message], str | None] = lambda user: MESSAGE_CREATED,
    ) -> tuple[Message, Message]:
        """A turn beside message `message_id` (which must have `role`, else 400 `refusal`):
        `create(reply id, responder name, model)` stores it."""
        message = await self._message(message_id)
        if message.role != role:
            raise BadRequest(refusal)
        responder = await self._responder_for(message.conversation_id)
        name, model = responder.name, responder.model
        return await self._start(
            message.conversation_id,
            responder,
            lambda rid: create(rid, name, model),
            user_change=user_change,
        )

    async def set_head(self, conversation_id: str, message_id: str) -> list[Message]:
        """Switch the current path to the one through `message_id` (`PUT .../head`)."""
        self._check_free(conversation_id)
        try:
            path = await self._store.run(Store.set_head, conversation_id, message_id)
        except NotFoundError as exc:
            raise NotFound(str(exc)) from None
        await self._conversation_changed(conversation_id)
        return path

    def _check_free(self, conversation_id: str) -> None:
        """404 if the conversation is being deleted; 409 if a message of it is, or a reply
        of it is streaming."""
        if conversation_id in self._deleting:
            raise NotFound("Conversation not found")
        if conversation_id in self._branching:
            raise Conflict("A message of this conversation is being deleted")
        if self.is_streaming(conversation_id):
            raise Conflict("A reply is still streaming in this conversation")

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
        self._check_free(conversation_id)
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
