"""`LiveSync`: the window shows what other clients (the web page, curl, another window) do,
from the backend's change stream (`GET /api/events`, docs/API-EXTENSIONS.md).

A `ChangeWorker` runs while the controller has a backend. Its events update the controller:

- `conversation.created` / `.updated`: the sidebar row (title, time); a head that moved
  elsewhere (a branch switched, a message deleted) reloads that conversation if it is loaded;
- `conversation.deleted`: gone from the list (and the view, if shown);
- `message.created`: appended to a loaded conversation when it continues its current path
  (else that conversation is reloaded); a `streaming` reply is followed through the
  controller's own stream path (`ReplyStreams.follow`, i.e. its `events_url`);
- `message.updated`: a reply that ended, a message edited in place;
- `reset`: the list and every loaded conversation are loaded again.

This window's own changes come back on the stream too: they are recognised (the row is
there already, or a request of ours is on its way) and change nothing.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from desktop.records import Conversation, ConversationDetail, Message
from desktop.workers.change_worker import ChangeWorker

if TYPE_CHECKING:
    from desktop.controller import ChatController

log = logging.getLogger(__name__)

#: How long a head seen in `conversation.updated` may wait for its `message.created`.
HEAD_GRACE_MS = 400


class LiveSync(QObject):
    def __init__(self, controller: ChatController) -> None:
        super().__init__(controller)
        self.controller = controller
        self.worker: ChangeWorker | None = None
        self.events = 0  # events handled (for tests)
        controller.ready_changed.connect(self._ready_changed)

    def _ready_changed(self, ready: bool) -> None:
        if ready:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        client = self.controller.client
        if client is None or self.worker is not None or self.controller.closed:
            return
        self.worker = ChangeWorker(client, self)
        self.worker.changed.connect(self._changed)
        self.worker.failed.connect(lambda reason: log.warning("live updates: %s", reason))
        self.worker.start()

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()
            worker.wait(5000)

    # -- events ------------------------------------------------------------------------
    def _changed(self, kind: str, data: dict[str, Any]) -> None:
        if self.controller.closed:
            return
        self.events += 1
        try:
            handler = {
                "conversation.created": self._conversation,
                "conversation.updated": self._conversation,
                "conversation.deleted": self._conversation_deleted,
                "message.created": self._message_created,
                "message.updated": self._message_updated,
                "reset": self._reset,
            }.get(kind)
            if handler is not None:
                handler(data)
        except (KeyError, TypeError, ValueError):
            log.warning("unreadable %s event", kind)

    def _conversation(self, data: dict[str, Any]) -> None:
        raw = data["conversation"]
        conv = Conversation.from_json(raw)
        self.controller.conversations.upsert(conv)
        head = raw.get("head_id")
        if head and self.controller.model_for(conv.id) is not None:
            QTimer.singleShot(HEAD_GRACE_MS, partial(self._check_head, conv.id, str(head)))

    def _check_head(self, cid: str, head: str) -> None:
        model = self.controller.model_for(cid)
        if model is None or self.controller.busy or model.row_of(head) >= 0:
            return
        conv = self.controller.conversations.get(cid)
        if conv is not None:
            self.reload(cid)

    def _conversation_deleted(self, data: dict[str, Any]) -> None:
        self.controller.removed_elsewhere(str(data["conversation_id"]))

    def _message_created(self, data: dict[str, Any]) -> None:
        ctrl = self.controller
        raw = data["message"]
        msg = Message.from_json(raw)
        cid = msg.conversation_id
        ctrl.conversations.touch(cid, msg.created_at)
        model = ctrl.model_for(cid)
        if model is None and msg.is_streaming:
            ctrl.conversations.set_streaming(cid, True)  # the sidebar's dot
        if model is None or model.row_of(msg.id) >= 0:
            return
        if ctrl.busy:
            return  # our own turn, on its way (the answer to the request adds it)
        last = model.messages[-1].id if model.messages else None
        parent = raw.get("parent_id")
        if parent is not None and parent != last:
            self.reload(cid)  # an edit or a regenerate elsewhere: another branch
            return
        model.append(msg)
        if msg.is_streaming:
            ctrl.streams.follow(model, msg.id)
            ctrl.conversations.set_streaming(cid, True)
            if cid == ctrl.current_id:
                ctrl.streaming_changed.emit(ctrl.is_streaming())

    def _message_updated(self, data: dict[str, Any]) -> None:
        msg = Message.from_json(data["message"])
        model = self.controller.model_for(msg.conversation_id)
        if model is None and not msg.is_streaming:
            self.controller.conversations.set_streaming(msg.conversation_id, False)
        if model is None or model.row_of(msg.id) < 0:
            return
        if self.controller.streams.worker_for(msg.id) is None:  # a followed one ends itself
            model.update(msg)

    def _reset(self, _data: dict[str, Any]) -> None:
        ctrl = self.controller
        if ctrl.client is None:
            return
        ctrl.runner.call(ctrl.client.list_conversations, on_result=self._relisted)

    def _relisted(self, rows: list[Conversation]) -> None:
        ctrl = self.controller
        ctrl.conversations.set_conversations(rows)
        for cid in [c.id for c in rows if ctrl.model_for(c.id) is not None]:
            self.reload(cid)
        if ctrl.current_id and ctrl.conversations.get(ctrl.current_id) is None:
            ctrl.removed_elsewhere(ctrl.current_id)

    # -- reloading ---------------------------------------------------------------------
    def reload(self, cid: str) -> None:
        ctrl = self.controller
        if ctrl.client is None:
            return
        ctrl.runner.call(ctrl.client.get_conversation, cid, on_result=self._reloaded)

    def _reloaded(self, detail: ConversationDetail) -> None:
        ctrl = self.controller
        cid = detail.conversation.id
        model = ctrl.model_for(cid)
        if model is None or ctrl.busy:
            return
        if [m.id for m in model.messages] != [m.id for m in detail.messages]:
            kept = {m.id for m in detail.messages}
            for old in model.messages:
                if old.id not in kept:
                    ctrl.streams.forget(old.id)
            model.set_messages(detail.messages)
        ctrl.conversations.upsert(detail.conversation)
        for msg in model.streaming():
            ctrl.streams.follow(model, msg.id)
        ctrl.conversations.set_streaming(cid, bool(model.streaming()))
        if cid == ctrl.current_id:
            ctrl.streaming_changed.emit(ctrl.is_streaming())
