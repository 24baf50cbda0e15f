"""`SearchFlow`: the sidebar's search (issue 13 item 6).

Typing in the search field asks `GET /api/search` after a pause of
`SIDEBAR.search_delay_ms` (off the GUI thread; an answer to an older query is dropped) and
shows the hits in place of the conversation list. Esc clears the field (the list comes
back), Down moves into the results, Enter or a click opens a hit: its conversation, on the
hit's branch (`PUT .../head` when the message is not on the current path), then
`controller.reveal(message_id)` scrolls it into view and highlights it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListView

from desktop.client_errors import ApiError
from desktop.controller import ChatController
from desktop.records import ConversationDetail
from desktop.theme import SIDEBAR
from desktop.views.search_results import SearchHit, SearchHitDelegate, SearchResultsModel
from desktop.views.sidebar import Sidebar

if TYPE_CHECKING:
    from desktop.client import ChatClient

log = logging.getLogger(__name__)


class SearchFlow(QObject):
    def __init__(self, sidebar: Sidebar, controller: ChatController) -> None:
        super().__init__(sidebar)
        self.sidebar = sidebar
        self.controller = controller
        self.model = SearchResultsModel(self)
        self.view = QListView(sidebar)
        self.view.setObjectName("searchResults")
        self.view.setAccessibleName("Search results")
        self.view.setModel(self.model)
        self.view.setItemDelegate(SearchHitDelegate(self.view))
        self.view.setMouseTracking(True)
        self.view.setUniformItemSizes(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.clicked.connect(self._open_index)
        self.view.activated.connect(self._open_index)
        sidebar.stack.addWidget(self.view)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SIDEBAR.search_delay_ms)
        self.timer.timeout.connect(self._run)
        self._asked = 0  # the number of the latest query sent
        self.searches = 0  # queries answered (for tests)
        sidebar.search.textChanged.connect(self._typed)
        sidebar.search.installEventFilter(self)
        self.view.installEventFilter(self)

    @property
    def showing_results(self) -> bool:
        return self.sidebar.stack.currentWidget() is self.view

    def _typed(self, text: str) -> None:
        if text.strip():
            self.timer.start()
        else:
            self.timer.stop()
            self._asked += 1  # a late answer is not shown
            self.model.set_hits("", [])
            self.sidebar.stack.setCurrentWidget(self.sidebar.list)

    def _run(self) -> None:
        query = self.sidebar.search.text().strip()
        client = self.controller.client
        if not query or client is None:
            return
        self._asked += 1
        self.controller.runner.call(
            client.search,
            query,
            on_result=partial(self._answered, self._asked, query),
            on_error=self._failed,
        )

    def _answered(self, number: int, query: str, hits: list[dict[str, object]]) -> None:
        if number != self._asked:
            return  # the user typed on meanwhile
        self.searches += 1
        self.model.set_hits(query, [SearchHit.from_json(h) for h in hits])
        self.sidebar.stack.setCurrentWidget(self.view)
        if self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0))

    def _failed(self, exc: ApiError) -> None:
        self.controller.error.emit(exc.message)

    def clear(self) -> None:
        self.sidebar.search.clear()

    # -- keys ------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if key == Qt.Key.Key_Escape and (self.sidebar.search.text() or self.showing_results):
            self.clear()
            self.sidebar.search.setFocus()
            return True
        if watched is self.sidebar.search and self.showing_results:
            if key == Qt.Key.Key_Down and self.model.rowCount():
                self.view.setFocus()
                self.view.setCurrentIndex(self.model.index(0))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                current = self.view.currentIndex()
                if current.isValid():
                    self._open_index(current)
                return True
        return False

    # -- opening a hit ---------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        hit = index.data(SearchResultsModel.HitRole)
        if isinstance(hit, SearchHit):
            self.open_hit(hit)

    def open_hit(self, hit: SearchHit) -> None:
        """Show `hit`'s conversation at its message (switching branch if needed)."""
        ctrl = self.controller
        cid, mid = hit.conversation_id, hit.message_id
        model = ctrl.model_for(cid)
        if mid is None or ctrl.client is None or (model is not None and model.row_of(mid) >= 0):
            ctrl.select(cid)
            if mid is not None:
                self._reveal_when_shown(cid, mid)
            return
        ctrl.runner.call(
            partial(self._path_through, ctrl.client, cid, mid),
            on_result=partial(self._path_ready, mid),
            on_error=self._failed,
        )

    @staticmethod
    def _path_through(client: ChatClient, cid: str, mid: str) -> ConversationDetail:
        detail = client.get_conversation(cid)
        if any(m.id == mid for m in detail.messages):
            return detail
        return client.set_head(cid, mid)  # the hit is on another branch

    def _path_ready(self, mid: str, detail: ConversationDetail) -> None:
        ctrl = self.controller
        cid = detail.conversation.id
        ctrl.conversations.upsert(detail.conversation)
        model = ctrl.model_for(cid)
        if model is not None and model.row_of(mid) < 0:
            model.set_messages(detail.messages)
        ctrl.select(cid)
        self._reveal_when_shown(cid, mid)

    def _reveal_when_shown(self, cid: str, mid: str) -> None:
        model = self.controller.model_for(cid)
        if model is None:
            return
        if model.row_of(mid) >= 0:
            self.controller.reveal.emit(mid)
            return

        def check(*_args: object) -> None:
            if model.row_of(mid) >= 0:
                model.modelReset.disconnect(check)
                self.controller.reveal.emit(mid)

        model.modelReset.connect(check)  # the history is on its way
