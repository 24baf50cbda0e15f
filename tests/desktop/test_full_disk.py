"""A full disk in the window (issue 11, item 3): sending answers `507` with a readable
reason, which the window shows in its banner, keeping the draft; once there is room again
the same draft goes through."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from tests.support.full_disk import RaisingDisk
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory


def test_a_full_disk_shows_its_reason_and_keeps_the_draft(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    d = driver(window)
    disk = RaisingDisk(monkeypatch)
    disk.full = True
    draft = "a message written while the disk is full"
    window.composer.set_draft(draft)
    d.press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.banner.isVisibleTo(window), timeout=WAIT_MS)
    assert "The disk is full" in window.banner.text()
    assert "Free some space" in window.banner.text()
    assert d.input.toPlainText() == draft
    assert d.model.rowCount() == 0

    disk.full = False
    d.press(Qt.Key.Key_Return)
    d.wait_reply_done()
    assert d.last_reply().content == draft
    assert not window.banner.isVisibleTo(window)
