"""A reply's reasoning: a live "Thinking…" block that folds to "Thought for N s"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from desktop.views.message_widget import MessageWidget
from desktop.views.thinking import ThinkingBlock
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory

PLAN = "First **weigh** the options, then pick one. " * 3
ANSWER = "The answer is *forty-two*."


def _thinking(window: MainWindow) -> ThinkingBlock:
    widget = window.chat_view.widgets[-1]
    assert isinstance(widget, MessageWidget) and widget.thinking is not None
    return widget.thinking


def test_reasoning_streams_open_then_folds_when_the_answer_starts(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window(echo_delay=0.01)
    d = driver(window)
    d.send(f"<think>{PLAN}</think>{ANSWER}", paste=True)
    qtbot.waitUntil(lambda: len(d.last_reply().reasoning) >= 10, timeout=WAIT_MS)
    block = _thinking(window)
    assert block.isVisibleTo(window) and block.expanded
    assert block.title.startswith("Thinking… ")
    assert block.body.text() and PLAN.startswith(block.body.text())  # streamed in
    d.wait_reply_chars(1)
    assert not block.expanded and block.title.startswith("Thought for ")
    d.wait_reply_done()
    assert block.body.text() == PLAN
    qtbot.mouseClick(block.header, Qt.MouseButton.LeftButton)  # a click opens it
    assert block.expanded and block.title.startswith("Thought for ")
    block.header.setFocus()
    qtbot.keyClick(block.header, Qt.Key.Key_Space)  # so does the keyboard (and closes it)
    assert not block.expanded

    widget = window.chat_view.widgets[-1]
    widget.copy_button.click()  # Copy: the answer only
    assert QGuiApplication.clipboard().text() == ANSWER
    menu = widget.context_menu()
    action = next(a for a in menu.actions() if a.text() == "Copy with reasoning")
    action.trigger()
    copied = QGuiApplication.clipboard().text()
    assert "weigh" in copied and copied.endswith(ANSWER)
    menu.deleteLater()


def test_a_reply_that_only_reasoned_stays_open(
    make_window: WindowFactory, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    window = make_window()
    d = driver(window)
    d.send("<think>just thinking aloud</think>")
    d.wait_reply_done()
    block = _thinking(window)
    qtbot.waitUntil(lambda: block.body.text() == "just thinking aloud", timeout=WAIT_MS)
    assert block.isVisibleTo(window) and block.expanded
    assert not block.title.startswith("Thinking")


def test_after_a_relaunch_stored_reasoning_shows_folded(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    data = tmp_path / "history"
    window = make_window(data_dir=data)
    d = driver(window)
    d.send(f"<think>{PLAN}</think>{ANSWER}", paste=True)
    d.wait_reply_done()
    cid = window.controller.current_id
    window.close()

    again = make_window(data_dir=data)
    qtbot.waitUntil(lambda: again.controller.current_id == cid, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(again.chat_view.widgets) == 2, timeout=WAIT_MS)
    block = _thinking(again)
    assert block.isVisibleTo(again) and not block.expanded
    assert block.title.startswith("Thought for ")  # N from the stored stats
    assert again.chat_view.widgets[-1].text == ANSWER
    block.toggle()
    assert block.expanded and "weigh" in block.body.text()


def test_thought_seconds_from_stats_or_unknown() -> None:
    from desktop.records import Message, Stats
    from desktop.views.thinking import thought_seconds

    base = Message("m", "c", "assistant", "ab", "complete", "", reasoning="abcdef")
    assert thought_seconds(base) is None  # no stats: the header says just "Thought"
    timed = Stats(first_token_ms=1000, duration_ms=9000)
    assert (
        thought_seconds(
            Message("m", "c", "assistant", "ab", "complete", "", reasoning="abcdef", stats=timed)
        )
        == 6
    )
