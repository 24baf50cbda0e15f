"""Helpers for the Settings tests: an in-memory keyring, the fake upstream, a dialog driver.

The fake OpenAI-compatible upstream is `tests.support.fake_openai` (re-exported here for the
Settings tests); the shared `upstream` fixture is in tests/conftest.py.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from desktop.views.settings_dialog import SettingsDialog
from tests.support.fake_openai import FakeUpstream, Upstream, closed_port, serving
from tests.support.window_driver import WAIT_MS

__all__ = [
    "KEY",
    "DialogDriver",
    "FakeUpstream",
    "MemoryKeyring",
    "Upstream",
    "closed_port",
    "serving",
]

KEY = "sk-test-key"  # the key FakeUpstream accepts


class MemoryKeyring(KeyringBackend):
    """An in-memory stand-in for the OS keyring (which cannot run here)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


class DialogDriver:
    """Opens the Settings dialog with its shortcut and fills it in like a user."""

    def __init__(self, qtbot: QtBot, window: MainWindow) -> None:
        self.qtbot = qtbot
        self.window = window

    def open(self) -> SettingsDialog:
        self.window.activateWindow()
        self.qtbot.waitUntil(self.window.isActiveWindow)
        self.qtbot.keyClick(
            self.window.composer.input, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier
        )
        dialog = self.window.settings_dialog
        assert dialog is not None
        self.qtbot.waitUntil(dialog.isVisible)
        self.qtbot.waitUntil(lambda: dialog.key_loaded, timeout=WAIT_MS)  # the key was read
        return dialog

    def choose_openai(self, dialog: SettingsDialog) -> None:
        dialog.provider.setFocus()
        if dialog.provider.currentData() != "openai":
            self.qtbot.keyClick(dialog.provider, Qt.Key.Key_Down)
        assert dialog.provider.currentData() == "openai"
        assert dialog.server_box.isEnabled()

    def type_into(self, edit: object, text: str) -> None:
        edit.clear()  # type: ignore[attr-defined]
        self.qtbot.keyClicks(edit, text)  # type: ignore[arg-type]

    def _run(self, dialog: SettingsDialog, button: QPushButton) -> None:
        """Click `button` and wait for its background request: busy first, then idle."""
        states: list[bool] = []
        dialog.busy_changed.connect(states.append)
        try:
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            self.qtbot.waitUntil(lambda: states == [True, False], timeout=WAIT_MS)
        finally:
            dialog.busy_changed.disconnect(states.append)
        assert dialog.test_button.isEnabled() and not dialog.busy.isVisible()

    def test_connection(self, dialog: SettingsDialog) -> str:
        self._run(dialog, dialog.test_button)
        return dialog.result_label.text()

    def fetch_models(self, dialog: SettingsDialog) -> list[str]:
        self._run(dialog, dialog.fetch_button)
        return [dialog.model.itemText(i) for i in range(dialog.model.count())]

    def save(self, dialog: SettingsDialog) -> None:
        """Press Save and wait until the dialog closed (the backend accepted)."""
        with self.qtbot.waitSignal(self.window.provider_settings.key_stored, timeout=WAIT_MS):
            self.qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
