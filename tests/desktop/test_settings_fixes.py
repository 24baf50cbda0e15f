"""What was seen in the Settings dialog (issue 15 item 11), each fixed and checked on the
tabbed dialog, through the real window and the real embedded backend."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QStyle, QStyleOptionButton, QWidget
from pytestqt.qtbot import QtBot

from desktop.theme import apply_theme, colors_of
from desktop.views.main_window import MainWindow
from desktop.views.settings_dialog import SettingsDialog
from tests.desktop.test_render_math import themed
from tests.support.pixels import pixels_like
from tests.support.settings_dialog import DialogDriver, MemoryKeyring
from tests.support.window_driver import WAIT_MS


def _rows_apart(dialog: SettingsDialog) -> bool:
    """The Model tab's fields top to bottom, none over the next, all inside the dialog."""
    fields: list[QWidget] = [
        dialog.provider,
        dialog.base_url,
        dialog.api_key,
        dialog.model,
        dialog.system_prompt,
        dialog.temperature,
    ]
    spans = []
    for field in fields:
        top = field.mapTo(dialog, QPoint(0, 0)).y()
        spans.append((top, top + field.height()))
    ordered = all(above[1] <= below[0] for above, below in zip(spans, spans[1:], strict=False))
    results = dialog.result_label.mapTo(dialog, QPoint(0, 0)).y()
    return ordered and spans[-1][1] <= results and results < dialog.height()


def test_the_system_prompt_stays_above_the_temperature_when_a_result_shows(
    window: MainWindow, qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    dd = DialogDriver(qtbot, window)
    dialog = dd.open()
    dd.choose_openai(dialog)
    dialog.resize(dialog.width(), 1)  # as small as it lets itself be
    qtbot.waitUntil(lambda: dialog.height() == dialog.minimumHeight())
    dialog.base_url.clear()
    dialog.save_button.click()  # a complaint appears under the tabs
    qtbot.waitUntil(dialog.result_label.isVisible)
    dialog._show_result("A long result. " * 40, "error")
    qtbot.waitUntil(lambda: dialog.result_label.height() > 0)
    qtbot.waitUntil(lambda: _rows_apart(dialog))  # once the dialog is laid out again
    lines = dialog.system_prompt.fontMetrics().lineSpacing()
    assert dialog.system_prompt.height() >= 3 * lines
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
    assert dialog.result_label.property("severity") == "error"
    dialog.provider.setFocus()
    qtbot.keyClick(dialog.provider, Qt.Key.Key_Up)  # back to Echo, as a user would
    assert dialog.provider.currentData() == "echo"
    assert not dialog.result_label.isVisible() and dialog.result_label.text() == ""
    dd.save(dialog)  # and Echo saves
    client = window.controller.client
    assert client is not None and client.get_settings()["provider"] == "echo"


def test_no_keyring_warning_in_echo_mode(
    window: MainWindow, qtbot: QtBot, no_keyring: None
) -> None:
    dd = DialogDriver(qtbot, window)
    dialog = dd.open()
    assert dialog.provider.currentData() == "echo"
    assert dialog.key_note.text() and not dialog.key_note.isVisible()
    dd.choose_openai(dialog)
    assert dialog.key_note.isVisible()  # where a key is used, where it goes is said
    assert dialog.key_note.property("severity") == "error"
    dialog.provider.setCurrentIndex(dialog.provider.findData("echo"))
    assert not dialog.key_note.isVisible()
    with qtbot.waitSignal(window.provider_settings.key_stored, timeout=WAIT_MS):
        dialog.save_button.click()  # an Echo save "stores" the empty key: still no warning
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    dialog = dd.open()
    assert dialog.provider.currentData() == "echo" and not dialog.key_note.isVisible()
    dialog.reject()


def _pixels_like(box: QCheckBox, color: str) -> int:
    """Pixels of `color` inside the checkbox's indicator (less its border), as drawn."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    return pixels_like(box, indicator.adjusted(2, 2, -2, -2), color, tolerance=40)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_ticked_checkbox_shows_a_tick(
    window: MainWindow, qtbot: QtBot, memory_keyring: MemoryKeyring, scheme: str, qapp: QApplication
) -> None:
    """Seen under Xvfb: a ticked box was a plain accent square (the stylesheet drew the box
    and nothing in it). Now a tick in the accent's text colour sits on the accent."""
    with themed(qapp):
        apply_theme(qapp, scheme)  # type: ignore[arg-type]
        _check_the_tick(window, qtbot)


def _check_the_tick(window: MainWindow, qtbot: QtBot) -> None:
    dialog = DialogDriver(qtbot, window).open()
    dialog.tabs.setCurrentWidget(dialog.chat)
    box = dialog.chat.auto_title
    box.setChecked(True)
    colors = colors_of()
    assert _pixels_like(box, colors.accent) >= 20  # the box is filled
    assert _pixels_like(box, colors.accent_text) >= 6  # and ticked
    box.setChecked(False)
    assert _pixels_like(box, colors.accent) == 0
    dialog.reject()
