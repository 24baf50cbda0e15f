"""What was seen in the Settings dialog (issue 15 item 11), each fixed and checked."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from tests.support.settings_dialog import DialogDriver, MemoryKeyring


def test_the_system_prompt_stays_above_the_temperature_when_a_result_shows(
    window: MainWindow, qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    dd = DialogDriver(qtbot, window)
    dialog = dd.open()
    dd.choose_openai(dialog)
    dialog.base_url.clear()
    dialog.save_button.click()  # a complaint appears under the form
    qtbot.waitUntil(dialog.result_label.isVisible)
    dialog._show_result("A long result. " * 40, "error")
    qtbot.waitUntil(lambda: dialog.result_label.height() > 0)

    def top_of(widget: object) -> int:
        return widget.mapTo(dialog, QPoint(0, 0)).y()  # type: ignore[attr-defined]

    def apart() -> bool:
        bottom = top_of(dialog.system_prompt) + dialog.system_prompt.height()
        return bottom <= top_of(dialog.temperature)

    qtbot.waitUntil(apart)  # once the dialog is laid out again
    assert dialog.system_prompt.height() >= 2 * dialog.system_prompt.fontMetrics().lineSpacing()
    dialog.reject()


def test_switching_back_to_echo_clears_the_base_url_complaint(
    window: MainWindow, qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    dd = DialogDriver(qtbot, window)
    dialog = dd.open()
    dd.choose_openai(dialog)
    dialog.base_url.clear()
    dialog.save_button.click()
    qtbot.waitUntil(dialog.result_label.isVisible)
    assert "base URL" in dialog.result_label.text()
    dialog.provider.setCurrentIndex(dialog.provider.findData("echo"))
    assert not dialog.result_label.isVisible()
    dialog.reject()


def test_no_keyring_warning_in_echo_mode(
    window: MainWindow, qtbot: QtBot, no_keyring: None
) -> None:
    dd = DialogDriver(qtbot, window)
    dialog = dd.open()
    dialog.provider.setCurrentIndex(dialog.provider.findData("echo"))
    assert not dialog.key_note.isVisible()
    dd.choose_openai(dialog)
    assert dialog.key_note.isVisible()  # where a key is used, where it goes is said
    assert dialog.key_note.property("severity") == "error"
    dialog.reject()
