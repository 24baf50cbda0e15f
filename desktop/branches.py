"""`Branches`: switching between a message's alternatives and deleting a subtree.

PROTOCOL.md section 7: `PUT /api/conversations/{cid}/head` makes the path through a
message the current one; `DELETE /api/messages/{mid}` deletes it and everything below.
Both go through the client on the controller's `ApiRunner` (never on the GUI thread); the
answer (the new current path) replaces the shown conversation's messages at once.

Delete asks first: `ask_delete(mid)` reads the tree (`GET .../tree`) to count what goes,
then emits `confirm_delete(mid, count)`; the window's answer is `delete(mid)`.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop.records import ConversationDetail, Message

if TYPE_CHECKING:
    from desktop.controller import ChatController

log = logging.getLogger(__name__)


def subtree_size(messages: list[Message], mid: str) -> int:
    """How many messages `mid` and everything below it are (0: not in `messages`)."""
    children: dict[str | None, list[str]] = {}
    for msg in messages:
        children.setdefault(msg.parent_id, []).append(msg.id)
    if not any(m.id == mid for m in messages):
        return 0
    count, todo = 0, [mid]
    while todo:
        count += 1
        todo.extend(children.get(todo.pop(), ()))
    return count


class Branches(QObject):
    #: Deleting `mid` would remove `count` messages: ask the user (then `delete(mid)`).
    confirm_delete = Signal(str, int)
    #: The branch through this message is shown now (after `switch`): the view keeps it in
    #: sight and on the keyboard.
    switched = Signal(str)

    def __init__(self, controller: ChatController) -> None:
        super().__init__(controller)
        self.controller = controller

    def switch(self, mid: str) -> None:
        """Show the branch through message `mid` (an alternative of a shown message)."""
        c = self.controller
        cid = c.current_id
        if c.client is None or not cid or c.is_streaming():
            return
        c.runner.call(
            c.client.set_head, cid, mid, on_result=partial(self._switched, mid), on_error=c.report
        )

    def _switched(self, mid: str, detail: ConversationDetail) -> None:
        self._show(detail)
        if detail.conversation.id == self.controller.current_id:
            self.switched.emit(mid)

    def ask_delete(self, mid: str) -> None:
        c = self.controller
        cid = c.current_id
        if c.client is None or not cid:
            return
        c.runner.call(
            c.client.get_tree,
            cid,
            on_result=lambda tree: self._counted(mid, tree),
            on_error=c.report,
        )

    def _counted(self, mid: str, tree: ConversationDetail) -> None:
        count = subtree_size(tree.messages, mid)
        if count:
            self.confirm_delete.emit(mid, count)

    def delete(self, mid: str) -> None:
        c = self.controller
        cid = c.current_id
        if c.client is None or not cid:
            return
        c.streams.forget(mid)  # (the backend cancels a reply streaming there)
        client = c.client

        def delete_then_load() -> ConversationDetail:
            client.delete_message(mid)
            return client.get_conversation(cid)

        c.runner.call(delete_then_load, on_result=self._show, on_error=c.report)

    def _show(self, detail: ConversationDetail) -> None:
        c = self.controller
        model = c.model_for(detail.conversation.id)
        if model is None:
            return
        for msg in model.streaming():
            c.streams.forget(msg.id)
        model.set_messages(detail.messages)
        c.conversations.upsert(detail.conversation)
        for msg in model.streaming():
            c.streams.follow(model, msg.id)
        if model.conversation_id == c.current_id:
            c.streaming_changed.emit(c.is_streaming())
