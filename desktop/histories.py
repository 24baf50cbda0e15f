"""`Histories`: the message models of the conversations opened, one each.

A conversation's `MessageListModel` is made and its history loaded (`GET
/api/conversations/{cid}`, on the controller's `ApiRunner`) the first time it is shown;
turns started while the history was on its way are kept after it. The histories of the
`KEPT_MODELS` conversations shown last stay in memory; an older one is let go (and loaded
again when it is shown again), never the shown one nor one with a reply streaming.
Owned by the `ChatController`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from desktop.client_errors import ApiError
from desktop.models import MessageListModel
from desktop.records import ConversationDetail

if TYPE_CHECKING:
    from desktop.controller import ChatController

#: Conversations whose history stays in memory after they were shown.
KEPT_MODELS = 10


class Histories:
    def __init__(self, controller: ChatController) -> None:
        self.controller = controller
        self._models: dict[str, MessageListModel] = {}  # the most recently shown last

    def get(self, cid: str) -> MessageListModel | None:
        return self._models.get(cid)

    def __contains__(self, cid: str) -> bool:
        return cid in self._models

    def open(self, cid: str) -> None:
        """`cid` is shown: its model becomes the most recent (a new one is loaded)."""
        if cid in self._models:
            self._models[cid] = self._models.pop(cid)
        else:
            self._models[cid] = MessageListModel(cid, self.controller)
            self._load(cid)

    def add(self, cid: str) -> None:
        """A model for `cid`, just created here: it has no history to load."""
        self._models.setdefault(cid, MessageListModel(cid, self.controller))

    def pop(self, cid: str) -> MessageListModel | None:
        return self._models.pop(cid, None)

    def forget_old(self) -> None:
        """Let go of the histories beyond the `KEPT_MODELS` shown last."""
        c = self.controller
        if c.busy:
            return  # a turn is on its way to its conversation's model
        for cid in list(self._models)[: max(0, len(self._models) - KEPT_MODELS)]:
            model = self._models[cid]
            if cid != c.current_id and not (model.streaming() or c.streams.follows(model)):
                del self._models[cid]
                model.deleteLater()

    def _load(self, cid: str) -> None:
        c = self.controller
        if c.client is None:
            return
        c.runner.call(
            c.client.get_conversation,
            cid,
            on_result=self._loaded,
            on_error=partial(self._load_failed, cid),
        )

    def _load_failed(self, cid: str, exc: ApiError) -> None:
        c = self.controller
        model = self._models.get(cid)
        if model is not None and not model.rowCount():
            del self._models[cid]  # selecting it again tries again
            if cid == c.current_id:
                c.current_changed.emit(cid)
        c.report(exc)

    def _loaded(self, detail: ConversationDetail) -> None:
        c = self.controller
        model = self._models.get(detail.conversation.id)
        if model is None:
            return
        if model.rowCount():
            # turns started while the history was on its way are newer than all of it
            local = {m.id for m in model.messages}
            older = [m for m in detail.messages if m.id not in local]
            model.set_messages(older + model.messages)
        else:
            model.set_messages(detail.messages)
        c.conversations.upsert(detail.conversation)
        for msg in model.streaming():  # e.g. a reply running in `sse-chat serve`
            c.streams.follow(model, msg.id)
        c.conversations.set_streaming(model.conversation_id, bool(model.streaming()))
        if model.conversation_id == c.current_id:
            c.streaming_changed.emit(c.is_streaming())
