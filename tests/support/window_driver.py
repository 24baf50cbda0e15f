"""Driving the real `MainWindow` like a user would (keyboard and clicks), with bounded waits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.models import MessageListModel
from desktop.records import Conversation, Message
from desktop.views.composer import InputBox
from desktop.views.main_window import MainWindow

WAIT_MS = 15_000
WindowFactory = Callable[..., MainWindow]
W = TypeVar("W", bound=QWidget)


def first_child(qtbot: QtBot, parent: QWidget, kind: type[W], timeout: int = WAIT_MS) -> W:
    """The first `kind` widget under `parent`, once there is one (made on the next pass,
    or when a message's part comes into view)."""
    qtbot.waitUntil(lambda: bool(parent.findChildren(kind)), timeout=timeout)
    return parent.findChildren(kind)[0]


def listed(window: MainWindow, cid: str) -> Conversation:
    """Conversation `cid` as the window's list holds it now (it must be there)."""
    conversation = window.controller.conversations.get(cid)
    assert conversation is not None, cid
    return conversation


class Driver:
    """Drives a `MainWindow` like a user would (keyboard and clicks), with waits."""

    def __init__(self, qtbot: QtBot, window: MainWindow) -> None:
        self.qtbot = qtbot
        self.window = window

    @property
    def input(self) -> InputBox:
        return self.window.composer.input

    @property
    def model(self) -> MessageListModel:
        return self.window.controller.current_model

    def type(self, text: str) -> None:
        self.input.setFocus()
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line:
                self.qtbot.keyClicks(self.input, line)
            if i < len(lines) - 1:
                self.qtbot.keyClick(
                    self.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier
                )

    def activate(self) -> None:
        """Make the window the active one (other test windows may have taken it)."""
        self.window.activateWindow()
        self.qtbot.waitUntil(self.window.isActiveWindow)

    def shortcut(self, key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
        """Press a window shortcut, as the user would, with the window active."""
        self.activate()
        self.qtbot.keyClick(self.input, key, modifier)

    def press(self, key: object, modifier: object = None) -> None:
        mod = Qt.KeyboardModifier.NoModifier if modifier is None else modifier
        self.qtbot.keyClick(self.input, key, mod)  # type: ignore[arg-type]

    def send(self, text: str, paste: bool = False) -> None:
        """Type `text` (or paste it, for long texts) and press Enter; waits until accepted."""
        rows = self.model.rowCount()
        if paste:
            self.window.composer.set_draft(text)
        else:
            self.type(text)
        self.press(Qt.Key.Key_Return)
        self.qtbot.waitUntil(
            lambda: self.model.rowCount() >= rows + 2 and not self.input.toPlainText(),
            timeout=WAIT_MS,
        )

    def last_reply(self) -> Message:
        return self.model.messages[-1]

    def wait_reply_done(self, timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(
            lambda: (
                bool(self.model.messages)
                and not self.model.streaming()
                and self.window.controller.worker_for(self.model.messages[-1].id) is None
            ),
            timeout=timeout,
        )

    def wait_reply_chars(self, n: int, timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(lambda: len(self.last_reply().content) >= n, timeout=timeout)
