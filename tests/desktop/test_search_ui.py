"""Sidebar search: Ctrl+K, results as you type, bold matches, opening a hit (on its branch)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from desktop.views.reveal import widget_of
from desktop.views.search_results import SearchHit, snippet_html
from tests.support.window_driver import WAIT_MS, Driver


def test_snippet_html_bolds_only_the_matches_and_escapes_the_rest() -> None:
    text = "<img src=x> finds the needle & more needle"
    html = snippet_html(text, ((22, 28), (36, 42), (90, 99)))
    assert html == "&lt;img src=x&gt; finds the <b>needle</b> &amp; more <b>needle</b>"
    hit = SearchHit.from_json({"snippet": "ab", "highlights": [[0, 1], "bad", [2, 1]]})
    assert hit.highlights == ((0, 1),)


def test_search_opens_the_hit_on_its_branch(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    sidebar = window.sidebar
    flow = window.search_flow
    d.send("the zebra question")
    d.wait_reply_done()
    cid = window.controller.current_id
    first = d.model.messages[0].id
    # an edit puts the zebra on another branch: the current path has the okapi instead
    assert window.controller.edit_and_resend(first, "the okapi question")
    d.wait_reply_done()
    qtbot.waitUntil(lambda: d.model.messages[0].content == "the okapi question", timeout=WAIT_MS)
    for _ in range(3):
        window.new_conversation()
        d.send("filler to scroll past")
        d.wait_reply_done()

    d.shortcut(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is sidebar.search
    qtbot.keyClicks(sidebar.search, "zebr")
    qtbot.waitUntil(lambda: flow.showing_results and flow.model.rowCount() > 0, timeout=WAIT_MS)
    hits = flow.model.hits
    assert {h.conversation_id for h in hits} == {cid}
    hit = next(h for h in hits if h.message_id == first)
    assert snippet_html(hit.snippet, hit.highlights).count("<b>") >= 1
    assert "zebr" in hit.snippet[hit.highlights[0][0] : hit.highlights[0][1]].lower()

    flow.view.setCurrentIndex(flow.model.index(hits.index(hit)))
    qtbot.keyClick(sidebar.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.controller.current_id == cid, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.model.row_of(first) >= 0, timeout=WAIT_MS)  # the old branch
    qtbot.waitUntil(lambda: widget_of(window.chat_view, first) is not None, timeout=WAIT_MS)
    widget = widget_of(window.chat_view, first)
    assert widget is not None
    qtbot.waitUntil(lambda: widget.property("revealed") is True, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: widget.property("revealed") is False, timeout=WAIT_MS)

    # Esc clears the field and the list comes back
    sidebar.search.setFocus()
    qtbot.keyClick(sidebar.search, Qt.Key.Key_Escape)
    assert sidebar.search.text() == ""
    assert not flow.showing_results
