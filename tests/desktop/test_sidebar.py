"""The sidebar: date groups, pins, the row menu, the streaming dot, folding, the delete box."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from desktop.models.conversations import ConversationListModel, group_of
from desktop.theme import SIDEBAR
from desktop.views.conversation_delegate import more_rect
from desktop.views.main_window import MainWindow
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory, listed

Roles = ConversationListModel


def sections(window: MainWindow) -> list[str]:
    model = window.controller.conversations
    return [str(model.index(r).data(Roles.SectionRole)) for r in range(model.rowCount())]


def test_group_of_names_each_age() -> None:
    today = date(2026, 12, 1)
    assert group_of("2026-12-01T08:00:00+00:00", today) == "Today"
    assert group_of("2026-11-30T12:00:00", today) == "Yesterday"
    assert group_of("2026-11-26T12:00:00", today) == "Previous 7 days"
    assert group_of("2026-11-05T12:00:00", today) == "Previous 30 days"
    assert group_of("2026-03-05T12:00:00", today) == "March 2026"
    assert group_of("not a date", today) == "Older"


def test_groups_pins_and_the_row_menu(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    model = window.controller.conversations
    ids = []
    for text in ("first chat", "second chat", "third chat"):
        window.new_conversation()
        d.send(text)
        d.wait_reply_done()
        ids.append(window.controller.current_id)
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    assert sections(window) == ["Today", "", ""]
    assert window.sidebar.list.visualRect(model.index(1)).height() == SIDEBAR.row
    assert window.sidebar.list.visualRect(model.index(0)).height() == SIDEBAR.row + SIDEBAR.section

    # seen three days later, they are in "Previous 7 days"
    model.today = lambda: date.today() + timedelta(days=3)
    model.set_conversations(model.conversations)
    assert sections(window) == ["Previous 7 days", "", ""]
    model.today = date.today
    model.set_conversations(model.conversations)

    # the hover "⋯" of the oldest row opens its menu; Pin moves it to the top
    view = window.sidebar.list
    index = model.index(model.row_of(ids[0]))
    where = more_rect(view.visualRect(index), index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    menu = next(m for m in window.sidebar.findChildren(QMenu) if m.isVisible())
    pin = next(a for a in menu.actions() if a.objectName() == "pin")
    assert pin.text() == "Pin"
    pin.trigger()
    menu.close()
    assert model.conversations[0].id == ids[0]
    assert sections(window) == ["Pinned", "Today", ""]
    assert window.ui_settings.pinned == [ids[0]]
    assert window.controller.current_id == ids[2]  # pinning did not switch
    unpin = next(a for a in window.sidebar.menu_for(ids[0]).actions() if a.objectName() == "pin")
    assert unpin.text() == "Unpin"
    unpin.trigger()
    assert [c.id for c in model.conversations] == ids[::-1]
    assert window.ui_settings.pinned == []


def test_a_background_reply_shows_a_dot(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.02)
    d = driver(window)
    model = window.controller.conversations
    d.send("a reply that takes a while to be written out " * 2, paste=True)
    d.wait_reply_chars(3)
    cid = window.controller.current_id
    streaming = lambda: model.index(model.row_of(cid)).data(Roles.StreamingRole)  # noqa: E731
    assert streaming()
    window.new_conversation()  # look elsewhere: the dot stays while it streams
    assert window.controller.draft
    assert streaming()
    qtbot.waitUntil(lambda: not streaming(), timeout=WAIT_MS)


def test_sidebar_folds_in_a_narrow_window_and_on_ctrl_b(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    sidebar = window.sidebar
    window.resize(900, 600)
    qtbot.waitUntil(sidebar.isVisible, timeout=WAIT_MS)
    window.resize(SIDEBAR.fold_below - 20, 600)
    qtbot.waitUntil(lambda: not sidebar.isVisible(), timeout=WAIT_MS)
    window.resize(900, 600)
    qtbot.waitUntil(sidebar.isVisible, timeout=WAIT_MS)

    d.shortcut(Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert not sidebar.isVisible()
    assert window.ui_settings.sidebar_collapsed
    d.shortcut(Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert sidebar.isVisible()
    sidebar.collapse_button.click()
    assert not sidebar.isVisible()

    d.shortcut(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)  # search shows it again
    assert sidebar.isVisible()
    assert QApplication.focusWidget() is sidebar.search


def test_delete_asks_with_a_red_delete_button(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("<b>goes</b> away")
    d.wait_reply_done()
    cid = window.controller.current_id
    seen: list[tuple[str, str, Qt.TextFormat]] = []

    def answer() -> None:
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox))
        button = box.findChild(type(window.sidebar.new_button), "dangerButton")
        assert button is not None
        seen.append((box.text(), button.text(), box.textFormat()))
        button.click()

    QTimer.singleShot(0, answer)
    window.sidebar.delete(cid)
    assert len(seen) == 1
    text, button, fmt = seen[0]
    assert "“<b>goes</b> away”" in text and "every branch" in text
    assert button == "Delete"
    assert fmt == Qt.TextFormat.PlainText
    qtbot.waitUntil(lambda: window.controller.conversations.rowCount() == 0, timeout=WAIT_MS)


def test_f2_renames_the_shown_conversation(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("to be renamed")
    d.wait_reply_done()
    cid = window.controller.current_id
    d.shortcut(Qt.Key.Key_F2, Qt.KeyboardModifier.NoModifier)
    editor = QApplication.focusWidget()
    assert editor is not None and editor.objectName() == "renameEditor"
    assert window.sidebar.renaming
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "Named with F2")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: listed(window, cid).title == "Named with F2", timeout=WAIT_MS)
