"""The sidebar: new, rename, delete, switching (also while a reply streams)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.histories import KEPT_MODELS
from desktop.models import MessageListModel
from desktop.records import Message
from desktop.views.main_window import MainWindow
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory, listed


def message(model: MessageListModel, mid: str) -> Message:
    found = model.message(mid)
    assert found is not None, mid
    return found


def titles(window: MainWindow) -> list[str]:
    model = window.controller.conversations
    return [str(model.index(r).data()) for r in range(model.rowCount())]


def test_new_rename_delete(
    window: MainWindow,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d = driver(window)
    convs = window.controller.conversations
    d.send("in the first one")
    d.wait_reply_done()
    first = window.controller.current_id
    assert titles(window) == ["in the first one"]  # titled after its first message

    for _ in range(3):  # Ctrl+N three times: a draft, no empty rows
        d.shortcut(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.controller.draft, timeout=WAIT_MS)
    assert window.controller.current_id == ""
    assert convs.rowCount() == 1
    assert d.model.rowCount() == 0
    d.send("names the new one")  # the first message creates and names the conversation
    d.wait_reply_done()
    second = window.controller.current_id
    assert second not in ("", first)
    assert not window.controller.draft
    assert convs.conversations[0].id == second  # newest first
    assert window.sidebar.current_id == second
    qtbot.waitUntil(lambda: titles(window)[0] == "names the new one", timeout=WAIT_MS)

    # rename in place: the row menu's Rename opens the editor on the row
    menu = window.sidebar.menu_for(second)
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Rename",
        "Pin",
        "Export…",
        "Delete…",
    ]
    rename = next(a for a in menu.actions() if a.objectName() == "rename")
    rename.trigger()
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Renamed chat")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: listed(window, second).title == "Renamed chat", timeout=WAIT_MS)
    assert titles(window)[0] == "Renamed chat"

    # delete asks first; "no" keeps it
    asked: list[str] = []

    def refuse(asked_title: str) -> bool:
        asked.append(asked_title)
        return False

    monkeypatch.setattr(window.sidebar, "confirm_delete", refuse)
    window.sidebar.delete(second)
    assert asked == ["Renamed chat"]
    assert convs.rowCount() == 2
    monkeypatch.setattr(window.sidebar, "confirm_delete", lambda t: True)
    window.sidebar.delete(second)
    qtbot.waitUntil(lambda: convs.rowCount() == 1, timeout=WAIT_MS)
    assert convs.get(second) is None
    # the remaining conversation is shown, with its history
    qtbot.waitUntil(lambda: window.controller.current_id == first, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.model.rowCount() == 2, timeout=WAIT_MS)
    assert window.chat_view.widgets[0].text == "in the first one"


def test_selecting_a_conversation_loads_its_history(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window()
    d = driver(window)
    d.send("alpha")
    d.wait_reply_done()
    alpha = window.controller.current_id
    window.new_conversation()
    qtbot.waitUntil(lambda: window.controller.current_id != alpha, timeout=WAIT_MS)
    d.send("beta")
    d.wait_reply_done()
    # click the older conversation in the sidebar (second row: newest first)
    view = window.sidebar.list
    rect = view.visualRect(window.controller.conversations.index(1))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.controller.current_id == alpha, timeout=WAIT_MS)
    assert [w.text for w in window.chat_view.widgets] == ["alpha", "alpha"]


def test_switching_away_while_streaming_keeps_streaming(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.02)
    d = driver(window)
    text = "the background reply keeps growing while you look elsewhere " * 2
    d.send(text, paste=True)
    d.wait_reply_chars(5)
    first = window.controller.current_id
    first_model = d.model
    reply_id = d.last_reply().id

    window.new_conversation()
    qtbot.waitUntil(lambda: window.controller.draft, timeout=WAIT_MS)
    assert window.composer.send_button.text() == "Send"  # this one is idle
    d.send("meanwhile")
    d.wait_reply_done()
    # the first reply went on growing in the background
    grown_to = len(message(first_model, reply_id).content)
    qtbot.waitUntil(
        lambda: len(message(first_model, reply_id).content) > grown_to + 5, timeout=WAIT_MS
    )

    window.controller.select(first)
    assert d.model is first_model
    qtbot.waitUntil(lambda: message(first_model, reply_id).status == "complete", timeout=WAIT_MS)
    assert message(first_model, reply_id).content == text
    assert window.chat_view.widgets[-1].text == text


def test_only_recently_shown_histories_stay_in_memory(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    ctrl = window.controller
    client = ctrl.client
    assert client is not None
    ids = []
    for i in range(KEPT_MODELS + 3):  # conversations made by another client
        conv = client.create_conversation(f"c{i}")
        client.send_message(conv.id, f"message {i}")
        ids.append(conv.id)
    for i, cid in enumerate(ids):
        ctrl.select(cid)

        def shown(i: int = i) -> bool:
            texts = [w.text for w in window.chat_view.widgets]
            return texts == [f"message {i}"] * 2 and not ctrl.is_streaming()

        qtbot.waitUntil(shown, timeout=WAIT_MS)
    assert [cid for cid in ids if ctrl.model_for(cid) is not None] == ids[-KEPT_MODELS:]
    ctrl.select(ids[0])  # shown again: its history comes back from the backend
    qtbot.waitUntil(
        lambda: [w.text for w in window.chat_view.widgets] == ["message 0"] * 2, timeout=WAIT_MS
    )
    assert ctrl.model_for(ids[1]) is None and ctrl.model_for(ids[-1]) is not None
