"""`ChatController`: the window's state and actions, without any widget.

It owns the conversation list model, one message model per opened conversation
(`histories`: loaded when first shown, the oldest let go),
the stream workers (one per reply being followed, whichever conversation is shown),
the background runner for client calls, and the chat's actions (`actions`: Stop, Regenerate
last reply, Edit last message, and every message's buttons). Views call its methods and
listen to its signals; tests can drive it directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop.branches import Branches
from desktop.chat_actions import ChatActions
from desktop.client_errors import ApiError
from desktop.histories import Histories
from desktop.live import LiveSync
from desktop.models import ConversationListModel, MessageListModel
from desktop.models.conversations import UNTITLED, title_of
from desktop.records import Conversation, Turn
from desktop.streams import LOST_CONNECTION, ReplyStreams
from desktop.workers import ApiRunner, StreamWorker

if TYPE_CHECKING:
    from desktop.client import ChatClient

log = logging.getLogger(__name__)


class ChatController(QObject):
    #: The backend is usable (True) or gone (False).
    ready_changed = Signal(bool)
    #: The conversation shown changed ("" = none); its model is `current_model`.
    current_changed = Signal(str)
    #: Whether the shown conversation has a reply streaming (Send vs Stop).
    streaming_changed = Signal(bool)
    #: A send (or edit-and-resend) was accepted: the composer may clear its draft.
    sent = Signal()
    #: A reply in the shown conversation ended (complete, stopped or failed).
    reply_ended = Signal(str)
    #: A readable error for the user.
    error = Signal(str)
    #: The user asked for a new reply (send, edit-and-resend, regenerate, retry).
    turn_requested = Signal()
    #: The view shows a new chat not sent yet (True) or a stored conversation (False).
    draft_changed = Signal(bool)
    #: Scroll the shown conversation to this message and highlight it for a moment.
    reveal = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client: ChatClient | None = None
        self.conversations = ConversationListModel(self)
        self.conversations.rename_requested.connect(self.rename)
        self.current_id = ""
        self._empty = MessageListModel("", self)
        self.histories = Histories(self)  # a message model per conversation opened
        self._busy = False  # a send/edit/regenerate request is on its way
        self._closed = False
        self.runner = ApiRunner(self)
        self.streams = ReplyStreams(self)
        self.streams.finished.connect(self._stream_finished)
        self.branches = Branches(self)  # switch branch, delete a subtree (section 7)
        self.actions = ChatActions(self)
        self.live = LiveSync(self)  # what other clients change (GET /api/events)

    @property
    def closed(self) -> bool:
        """`shutdown()` ran: nothing starts any more."""
        return self._closed

    # -- state -----------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.client is not None and not self._closed

    @property
    def current_model(self) -> MessageListModel:
        model = self.histories.get(self.current_id)
        return self._empty if model is None else model

    @property
    def busy(self) -> bool:
        """A send/edit/regenerate request of this window is on its way."""
        return self._busy

    @property
    def draft(self) -> bool:
        """A new chat is shown: it exists only in the view until its first message is
        sent (then `send` creates it)."""
        return not self.current_id

    def model_for(self, cid: str) -> MessageListModel | None:
        return self.histories.get(cid)

    def worker_for(self, mid: str) -> StreamWorker | None:
        return self.streams.worker_for(mid)

    def is_streaming(self, cid: str | None = None) -> bool:
        model = self.histories.get(self.current_id if cid is None else cid)
        return bool(model and model.streaming())

    # -- start-up ----------------------------------------------------------------------
    def attach(self, client: ChatClient, restore: str = "") -> None:
        """Use `client` from now on; loads the list and reopens `restore` if it exists."""
        if self._closed:
            client.close()
            return
        self.client = client
        self.streams.client = client
        self.ready_changed.emit(True)
        self.runner.call(
            client.list_conversations,
            on_result=lambda rows: self._listed(rows, restore),
            on_error=self._report,
        )

    def _listed(self, rows: list[Conversation], restore: str) -> None:
        known = {c.id for c in rows}
        local = [c for c in self.conversations.conversations if c.id not in known]
        self.conversations.set_conversations(rows + local)  # keep any made meanwhile
        if self.current_id:  # the user already chose (or started) one meanwhile
            return
        if restore and self.conversations.get(restore) is not None:
            self.select(restore)
        elif rows:
            self.select(self.conversations.conversations[0].id)

    # -- conversations -----------------------------------------------------------------
    def select(self, cid: str, force: bool = False) -> None:
        if cid == self.current_id and not force:
            return
        self.current_id = cid
        if cid:
            self.histories.open(cid)
        self.current_changed.emit(cid)
        self.draft_changed.emit(not cid)
        self.streaming_changed.emit(self.is_streaming())
        self.histories.forget_old()

    def new_conversation(self) -> None:
        """Show a new chat as a draft: nothing is stored until its first message is sent,
        so asking again (Ctrl+N three times) makes no empty conversations."""
        if self.client is None or self._busy:
            return
        self.select("")

    def _created(self, conv: Conversation) -> None:
        self.conversations.upsert(conv)
        self.histories.add(conv.id)
        self.select(conv.id)

    def rename(self, cid: str, title: str) -> None:
        title = title.strip()
        if self.client is None or not title:
            return
        self.runner.call(
            self.client.rename_conversation,
            cid,
            title,
            on_result=self.conversations.upsert,
            on_error=self._report,
        )

    def delete(self, cid: str) -> None:
        if self.client is None:
            return
        self.runner.call(
            self.client.delete_conversation,
            cid,
            on_result=lambda _: self._deleted(cid),
            on_error=self._report,
        )

    def removed_elsewhere(self, cid: str) -> None:
        """Another client deleted `cid`: forget it as if deleted here."""
        if self.conversations.get(cid) is not None or cid in self.histories:
            self._deleted(cid)

    def _deleted(self, cid: str) -> None:
        model = self.histories.pop(cid)
        if model is not None:
            for msg in model.messages:
                self.streams.forget(msg.id)
        row = self.conversations.row_of(cid)
        self.conversations.remove(cid)
        if cid == self.current_id:
            rows = self.conversations.conversations
            self.select(rows[min(max(row, 0), len(rows) - 1)].id if rows else "", force=True)

    # -- turns -------------------------------------------------------------------------
    def send(self, text: str) -> bool:
        """Send `text` in the shown conversation (creating one if none). False if refused."""
        self.turn_requested.emit()
        content = text.strip()
        if self.client is None or not content or self._busy or self.is_streaming():
            return False
        self._busy = True
        client = self.client
        if self.current_id:
            conv = self.conversations.get(self.current_id)
            on_result: Callable[[Turn], None] = self._turn_started
            if conv and conv.title in ("", UNTITLED) and not self.current_model.rowCount():
                # an untitled conversation is named after its first message
                on_result = partial(self._first_turn_started, title_of(content))
            self.runner.call(
                client.send_message,
                self.current_id,
                text,
                on_result=on_result,
                on_error=self._turn_refused,
            )
        else:
            title = title_of(content)
            self.runner.call(
                lambda: self._create_and_send(client, title, text),
                on_result=self._created_and_sent,
                on_error=self._turn_refused,
            )
        return True

    def _first_turn_started(self, title: str, turn: Turn) -> None:
        self._turn_started(turn)
        self.rename(turn.message.conversation_id, title)

    @staticmethod
    def _create_and_send(client: ChatClient, title: str, text: str) -> tuple[Conversation, Turn]:
        conv = client.create_conversation(title)
        return conv, client.send_message(conv.id, text)

    def _created_and_sent(self, result: tuple[Conversation, Turn]) -> None:
        conv, turn = result
        self._created(conv)
        self._turn_started(turn)

    def edit_and_resend(self, mid: str, text: str, in_place: bool = False) -> bool:
        """Resend user message `mid` as `text` (`in_place`: edited in the message itself,
        so the composer's draft is not the one sent and stays)."""
        self.turn_requested.emit()
        if self.client is None or not text.strip() or self._busy or self.is_streaming():
            return False
        self._busy = True
        self.runner.call(
            self.client.edit_message,
            mid,
            text,
            on_result=lambda turn: self._edited(mid, turn, in_place),
            on_error=self._turn_refused,
        )
        return True

    def regenerate(self, mid: str) -> None:
        if self.client is None or self._busy or self.is_streaming():
            return
        self._busy = True
        self.runner.call(
            self.client.regenerate,
            mid,
            on_result=lambda turn: self._regenerated(mid, turn),
            on_error=self._turn_refused,
        )

    def retry(self, mid: str) -> None:
        """Retry a reply: follow its stream again if only our connection failed,
        otherwise (failed, interrupted, stopped) regenerate it."""
        model = self.current_model
        msg = model.message(mid)
        if msg is None:
            return
        if msg.is_streaming and model.note(mid) == LOST_CONNECTION:
            self.streams.follow(model, mid)
        else:
            self.regenerate(mid)

    def stop(self) -> None:
        """Stop the reply streaming in the shown conversation; its partial text stays."""
        if self.client is None:
            return
        model = self.current_model
        for msg in model.streaming():
            self.runner.call(
                self.client.cancel,
                msg.id,
                on_result=partial(self._cancelled, model, msg.id),
                on_error=self._report,
            )

    def _cancelled(self, model: MessageListModel, mid: str, _result: object) -> None:
        # a reply whose stream we had lost is followed again, to see it end
        self.streams.follow(model, mid)

    def _regenerated(self, old_mid: str, turn: Turn) -> None:
        model = self.histories.get(turn.reply.conversation_id)
        if model is not None:
            self.streams.forget(old_mid)
            model.remove_from(old_mid)
        self._turn_started(turn)

    def _edited(self, old_mid: str, turn: Turn, in_place: bool = False) -> None:
        # The edited copy is a new message beside the original (which the backend keeps on
        # another branch): the current path is the one up to it, then the copy and its reply.
        model = self.histories.get(turn.reply.conversation_id)
        if model is not None and model.row_of(turn.message.id) < 0:
            model.remove_from(old_mid)
        self._turn_started(turn, sent=not in_place)

    def _turn_started(self, turn: Turn, sent: bool = True) -> None:
        self._busy = False
        cid = turn.reply.conversation_id or turn.message.conversation_id
        model = self.histories.get(cid)
        if model is not None and model.row_of(turn.reply.id) < 0:
            # (a history loaded meanwhile may hold this turn already)
            if model.row_of(turn.message.id) >= 0:  # edit-and-resend, regenerate
                model.update(turn.message)
                model.remove_after(turn.message.id)
            else:
                model.append(turn.message)
            model.append(turn.reply)
        if model is not None:
            self.streams.follow(model, turn.reply.id)
        self.conversations.touch(cid, turn.reply.created_at)
        self.conversations.set_streaming(cid, self.is_streaming(cid))
        if cid == self.current_id:
            if sent:
                self.sent.emit()
            self.streaming_changed.emit(self.is_streaming())

    def _turn_refused(self, exc: ApiError) -> None:
        self._busy = False
        self._report(exc)

    def _stream_finished(self, cid: str, mid: str, reason: str) -> None:
        self.conversations.set_streaming(cid, self.is_streaming(cid))
        if cid == self.current_id:
            if reason:
                self.error.emit(reason)
            self.streaming_changed.emit(self.is_streaming())
            self.reply_ended.emit(mid)

    # -- errors and shutdown -------------------------------------------------------------
    def report(self, exc: ApiError) -> None:
        self._report(exc)

    def _report(self, exc: ApiError) -> None:
        log.info("backend call failed: %s", exc.message)
        self.error.emit(exc.message)

    def shutdown(self) -> None:
        """Stop every stream and background call, then close the client (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.streams.shutdown()
        self.runner.shutdown(wait=True)
        if self.client is not None:
            self.client.close()
            self.ready_changed.emit(False)
