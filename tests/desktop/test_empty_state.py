"""The empty state: shown for a conversation without messages, with the model that will
answer; a suggestion card fills the composer; gone once a message is sent."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.theme import apply_theme, colors_of
from desktop.views.empty_state import SUGGESTIONS
from desktop.views.main_window import MainWindow
from tests.desktop.test_render_math import themed
from tests.support.window_driver import WAIT_MS, Driver


def test_the_empty_state_greets_names_the_model_and_suggests(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    empty = window.empty_state
    qtbot.waitUntil(empty.isVisible)
    assert not window.chat_view.isVisible()
    assert empty.model_label.text() == "echo will answer"
    assert len(empty.cards) == 4
    qtbot.mouseClick(empty.cards[1], Qt.MouseButton.LeftButton)
    assert window.composer.draft == SUGGESTIONS[1][1]
    assert window.composer.input.hasFocus()
    d = driver(window)
    d.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.chat_view.isVisible(), timeout=WAIT_MS)
    assert not empty.isVisible()
    d.wait_reply_done()
    window.controller.new_conversation()
    qtbot.waitUntil(empty.isVisible, timeout=WAIT_MS)


def test_a_narrow_card_cuts_its_prompt_with_an_ellipsis(window: MainWindow, qtbot: QtBot) -> None:
    # Seen under Xvfb at 900 px: "Explain how public-key cryptography work" clipped mid-word.
    empty = window.empty_state
    qtbot.waitUntil(empty.isVisible)
    card = empty.cards[0]
    card.resize(220, card.height())
    title, prompt = card.title_label.text(), card.prompt_label.text()
    assert title == SUGGESTIONS[0][0] and prompt.endswith("…")
    assert SUGGESTIONS[0][1].startswith(prompt[:-1])
    assert card.prompt_label.fontMetrics().horizontalAdvance(prompt) < card.width()
    card.resize(900, card.height())
    assert card.title_label.text() == SUGGESTIONS[0][0]  # room: all of it
    assert card.prompt_label.text() == SUGGESTIONS[0][1]


def test_a_card_shows_its_title_over_its_prompt_in_two_styles(
    window: MainWindow, qtbot: QtBot, qapp: QApplication
) -> None:
    """Seen under Xvfb: title and prompt in one colour and weight (a button's own text).
    Now the title semi-bold in the text colour, the prompt in the muted colour."""
    with themed(qapp):
        apply_theme(qapp, "light")
        card = window.empty_state.cards[0]
        qtbot.waitUntil(card.isVisible)
        card.ensurePolished()
        card.title_label.ensurePolished()
        card.prompt_label.ensurePolished()
        assert card.title_label.font().weight() >= QFont.Weight.DemiBold
        assert card.prompt_label.font().weight() < QFont.Weight.DemiBold
        role = card.prompt_label.foregroundRole()
        assert card.prompt_label.palette().color(role) == QColor(colors_of().muted)
        assert card.title_label.palette().color(role) == QColor(colors_of().text)
