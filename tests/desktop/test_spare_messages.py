"""The chat view's spare message widgets (desktop/views/spare_messages.py): a turn's two
widgets are made ahead, in the quiet, and are the ones that show the turn."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.theme import apply_theme
from desktop.views.chat_view import ChatView
from desktop.views.message_widget import MessageWidget
from desktop.views.spare_messages import IDLE_MS
from tests.desktop.test_render_math import themed


def spares(view: ChatView) -> list[MessageWidget]:
    """The message widgets of the view that show no row (hidden, made ahead)."""
    column = view.widget()
    assert column is not None
    return [w for w in column.findChildren(MessageWidget) if w not in view.widgets]


def shown(qtbot: QtBot) -> tuple[ChatView, MessageListModel]:
    model = MessageListModel("c")
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.set_model(model)
    return view, model


def test_a_turn_is_shown_by_the_widgets_made_ahead(qtbot: QtBot) -> None:
    view, model = shown(qtbot)
    qtbot.waitUntil(lambda: len(spares(view)) == 2, timeout=IDLE_MS * 4)
    ahead = spares(view)
    assert not any(w.isVisible() for w in ahead)  # hidden, outside the column
    assert sorted(w.message.role for w in ahead) == ["assistant", "user"]
    model.append(Message("u1", "c", "user", "Hello **there**", "complete", ""))
    model.append(Message("r1", "c", "assistant", "", "streaming", ""))
    assert view.widgets == sorted(ahead, key=lambda w: w.message.role == "assistant")
    assert [w.message.id for w in view.widgets] == ["u1", "r1"]
    assert all(w.isVisible() for w in view.widgets)
    assert view.widgets[0].body.text() == "Hello **there**"  # (a user's text is plain)
    model.append_delta("r1", "The *answer*")
    qtbot.waitUntil(lambda: view.widgets[1].body.text() == "The *answer*")
    qtbot.waitUntil(lambda: len(spares(view)) == 2, timeout=IDLE_MS * 4)  # the next ones
    assert not set(spares(view)) & set(view.widgets)


def test_spares_styled_for_an_old_theme_are_dropped(qapp: QApplication, qtbot: QtBot) -> None:
    with themed(qapp):
        apply_theme(qapp, "light")
        view, model = shown(qtbot)
        qtbot.waitUntil(lambda: len(spares(view)) == 2, timeout=IDLE_MS * 4)
        light = spares(view)
        apply_theme(qapp, "dark")
        qtbot.waitUntil(lambda: not set(spares(view)) & set(light))  # let go
        qtbot.waitUntil(lambda: len(spares(view)) == 2, timeout=IDLE_MS * 4)  # made anew
        model.append(Message("u1", "c", "user", "Hi", "complete", ""))
        assert view.widgets[0] not in light
