"""Test helpers for the desktop suite: a controllable TCP proxy and a window driver."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.models import MessageListModel
from desktop.records import Message
from desktop.views.composer import InputBox
from desktop.views.main_window import MainWindow
from tests.support.tcp_proxy import LoopbackProxy, shut

WAIT_MS = 15_000
WindowFactory = Callable[..., MainWindow]


class Proxy(LoopbackProxy):
    """A loopback TCP proxy the test controls; `drop()` cuts every open connection.

    `close()` stops listening too (the backend looks gone), `reopen()` listens again on
    the same port. It rewrites the `Host` header to the upstream's so the backend's
    DNS-rebinding guard accepts the requests. `event_requests` counts the client's
    chunks that carry a `GET` of an event stream.
    """

    def __init__(self, upstream_port: int) -> None:
        self.event_requests = 0
        super().__init__(upstream_port)

    def _handle(self, client: socket.socket, upstream: socket.socket) -> None:
        threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        try:
            self.relay(src, dst, rewrite=outbound, observe=self._count if outbound else None)
        finally:
            shut(src, dst, close=False)  # `drop()` and `close()` close them

    def _count(self, data: bytes) -> None:
        if b"/events" in data and b"GET " in data:
            with self._lock:
                self.event_requests += 1

    def reopen(self) -> None:
        """Listen again on the same port: the backend is back."""
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self._start_accepting()


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
