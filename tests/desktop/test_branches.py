"""Branches in the window (issue 13 item 5): the switcher, edit in place, delete."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from desktop.views.message_widget import MessageWidget
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def _widget(window: MainWindow, row: int) -> MessageWidget:
    return window.chat_view.widgets[row]


def test_regenerate_keeps_the_old_answer_reachable(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window()
    d = driver(window)
    d.send("first question")
    d.wait_reply_done()
    d.send("second question")
    d.wait_reply_done()
    old = d.model.messages[1]
    middle = _widget(window, 1)
    assert middle.regenerate_button.isVisibleTo(window)  # Regenerate on any reply
    assert not middle.branches.isVisibleTo(window)
    middle.regenerate_button.click()
    qtbot.waitUntil(
        lambda: d.model.rowCount() == 2 and d.last_reply().id != old.id, timeout=WAIT_MS
    )
    d.wait_reply_done()
    switcher = _widget(window, 1).branches
    qtbot.waitUntil(lambda: switcher.isVisibleTo(window), timeout=WAIT_MS)
    assert switcher.position.text() == "2/2" and not switcher.next.isEnabled()
    qtbot.mouseClick(switcher.previous, Qt.MouseButton.LeftButton)  # PUT .../head
    qtbot.waitUntil(lambda: d.model.rowCount() == 4, timeout=WAIT_MS)  # that branch at once
    assert d.model.messages[1].id == old.id
    assert [m.content for m in d.model.messages][2] == "second question"
    assert _widget(window, 1).branches.position.text() == "1/2"
    # the keyboard stays on the switched message (seen under Xvfb: it fell to the sidebar)
    shown = _widget(window, 1)
    qtbot.waitUntil(shown.hasFocus, timeout=WAIT_MS)
    assert shown.row_shown and not window.sidebar.isAncestorOf(window.focusWidget())


def test_edit_any_user_message_in_place(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window()
    d = driver(window)
    d.send("first")
    d.wait_reply_done()
    d.send("second")
    d.wait_reply_done()
    first = _widget(window, 0)
    first.edit_button.click()
    editor = first.editor
    assert editor is not None and editor.hasFocus() and editor.toPlainText() == "first"
    assert not first.body.isVisibleTo(window)
    # the editor takes the bubble's place (seen under Xvfb: an empty bubble stayed above
    # it, and the editor sat below the actions row)
    assert first.bubble is not None and not first.bubble.isVisibleTo(window)
    assert editor.geometry().bottom() < first.actions_row.geometry().top()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)  # Esc cancels: nothing sent
    assert first.editor is None and first.body.isVisibleTo(window)
    assert first.bubble.isVisibleTo(window)
    assert d.model.rowCount() == 4

    first.edit_button.click()
    editor = first.editor
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, "first, edited")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # PATCH /api/messages/{mid}
    qtbot.waitUntil(lambda: d.model.rowCount() == 2, timeout=WAIT_MS)
    d.wait_reply_done()
    assert [m.content for m in d.model.messages] == ["first, edited", "first, edited"]
    switcher = _widget(window, 0).branches
    qtbot.waitUntil(lambda: switcher.isVisibleTo(window), timeout=WAIT_MS)
    assert switcher.position.text() == "2/2"
    switcher.previous.click()  # the original stays as an alternative
    qtbot.waitUntil(lambda: d.model.rowCount() == 4, timeout=WAIT_MS)
    assert [m.content for m in d.model.messages][::2] == ["first", "second"]


def test_delete_a_message_and_everything_below_after_asking(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window()
    d = driver(window)
    for text in ("one", "two", "three"):
        d.send(text)
        d.wait_reply_done()
    actions = window.controller.actions
    menu = _widget(window, 2).context_menu()
    next(a for a in menu.actions() if a.text() == "Delete…").trigger()
    menu.deleteLater()
    qtbot.waitUntil(lambda: actions.delete_box is not None, timeout=WAIT_MS)
    box = actions.delete_box
    assert box is not None and "4 messages will go" in box.text()
    cancel = next(b for b in box.buttons() if b.objectName() != "dangerButton")
    cancel.click()  # Cancel: nothing goes
    assert d.model.rowCount() == 6

    menu = _widget(window, 2).context_menu()
    next(a for a in menu.actions() if a.text() == "Delete…").trigger()
    menu.deleteLater()
    qtbot.waitUntil(lambda: actions.delete_box is not box, timeout=WAIT_MS)
    box = actions.delete_box
    assert box is not None
    delete = next(b for b in box.buttons() if b.objectName() == "dangerButton")
    assert delete.text() == "Delete"
    delete.click()
    qtbot.waitUntil(lambda: d.model.rowCount() == 2, timeout=WAIT_MS)
    assert [m.content for m in d.model.messages] == ["one", "one"]
    assert [w.text for w in window.chat_view.widgets] == ["one", "one"]
