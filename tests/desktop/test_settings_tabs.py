"""Settings as tabs (issue 15 item 11): Appearance (font size = the zoom keys' size, message
density applied live and kept), Chat (naming with the model = the backend's `auto_title`,
the send key), and the keyboard (Esc cancels, Enter saves, a sane Tab order), through the
real window and the real embedded backend."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from backend.embedded import EmbeddedServer
from desktop.prefs.ui import UiSettings
from desktop.theme import DENSITIES, apply_theme
from desktop.views.main_window import MainWindow
from desktop.views.message_widget import MessageWidget
from desktop.views.settings_dialog import SettingsDialog
from desktop.workers import LaunchConfig
from tests.support.settings_dialog import KEY, DialogDriver, MemoryKeyring, Upstream
from tests.support.window_driver import WAIT_MS, Driver, WindowFactory

CTRL = Qt.KeyboardModifier.ControlModifier


def _points() -> float:
    return QApplication.font().pointSizeF()


def _relaunched(ui_settings: UiSettings) -> UiSettings:
    ui_settings.sync()
    return UiSettings(QSettings(ui_settings.store.fileName(), QSettings.Format.IniFormat))


def test_the_font_size_is_the_zoom_keys_size(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    ui_settings: UiSettings,
    memory_keyring: MemoryKeyring,
    qtbot: QtBot,
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "light")  # as the app runs: with its stylesheet in force
    window = make_window()
    base = _points()
    d = DialogDriver(qtbot, window)
    dialog = d.open()
    size = dialog.appearance.font_size
    dialog.tabs.setCurrentWidget(dialog.appearance)
    assert size.value() == round(base) and size.suffix() == " pt"  # the system's size
    assert f"{base:g} pt" in dialog.appearance.font_help.text()
    size.setFocus()
    qtbot.keyClick(size, Qt.Key.Key_Up)
    qtbot.keyClick(size, Qt.Key.Key_Up)
    assert _points() == base + 2 and window.composer.input.font().pointSizeF() == base + 2
    assert window.header.title_button.font().pointSizeF() == base + 2  # styled ones too
    assert dialog.base_url.font().pointSizeF() == base + 2  # and the dialog itself
    window.keys.zoom.zoom_out()  # what Ctrl+- does: the box shows it
    assert size.value() == round(base) + 1 and _points() == base + 1
    dialog.reject()  # Cancel: the size the dialog opened with
    assert _points() == base and window.ui_settings.font_offset == 0

    dialog = d.open()
    dialog.appearance.font_size.setValue(round(base) + 3)
    d.save(dialog)
    assert _points() == base + 3
    driver(window).shortcut(Qt.Key.Key_Minus, CTRL)  # the keys go on from the chosen size
    assert _points() == base + 2
    dialog = d.open()
    assert dialog.appearance.font_size.value() == round(base) + 2
    dialog.appearance.system_size.click()
    assert _points() == base and not dialog.appearance.system_size.isEnabled()
    dialog.appearance.font_size.setValue(round(base) + 1)
    d.save(dialog)
    window.close()
    assert _points() == base  # the window gave the system's size back

    again = make_window(settings=_relaunched(ui_settings))  # kept across a restart
    assert again.ui_settings.font_offset == 1 and _points() == base + 1


def _gap(view_widgets: list[MessageWidget]) -> int:
    first, second = view_widgets[0], view_widgets[1]
    column = first.parentWidget()
    assert column is not None
    return second.mapTo(column, QPoint(0, 0)).y() - first.geometry().bottom() - 1


def _bubble_pad(widget: MessageWidget) -> tuple[int, int]:
    assert widget.bubble is not None
    layout = widget.bubble.layout()
    assert layout is not None
    margins = layout.contentsMargins()
    return margins.left(), margins.top()


def test_message_density_respaces_the_messages_live_and_is_kept(
    make_window: WindowFactory,
    driver: Callable[[MainWindow], Driver],
    ui_settings: UiSettings,
    memory_keyring: MemoryKeyring,
    qtbot: QtBot,
) -> None:
    window = make_window()
    w = driver(window)
    w.send("Hello")
    w.wait_reply_done()
    widgets = window.chat_view.widgets
    comfortable, compact = DENSITIES["comfortable"], DENSITIES["compact"]
    assert comfortable.message_gap > compact.message_gap
    qtbot.waitUntil(lambda: _gap(widgets) == comfortable.message_gap)
    assert _bubble_pad(widgets[0]) == (comfortable.bubble_pad_x, comfortable.bubble_pad_y)

    d = DialogDriver(qtbot, window)
    dialog = d.open()
    density = dialog.appearance.density
    assert [density.itemText(i) for i in range(density.count())] == ["Comfortable", "Compact"]
    density.setCurrentIndex(density.findData("compact"))  # live, before Save
    qtbot.waitUntil(lambda: _gap(widgets) == compact.message_gap)
    assert _bubble_pad(widgets[0]) == (compact.bubble_pad_x, compact.bubble_pad_y)
    dialog.reject()
    qtbot.waitUntil(lambda: _gap(widgets) == comfortable.message_gap)

    dialog = d.open()
    dialog.appearance.density.setCurrentIndex(density.findData("compact"))
    d.save(dialog)
    assert ui_settings.density == "compact"
    w.send("More")  # a message made after the change is compact too
    w.wait_reply_done()
    qtbot.waitUntil(lambda: _gap(window.chat_view.widgets[-2:]) == compact.message_gap)
    assert _bubble_pad(window.chat_view.widgets[-2]) == (compact.bubble_pad_x, compact.bubble_pad_y)
    window.close()

    again = make_window(settings=_relaunched(ui_settings))
    again_w = driver(again)
    again_w.send("Back")
    again_w.wait_reply_done()
    qtbot.waitUntil(lambda: _gap(again.chat_view.widgets[-2:]) == compact.message_gap)
    dialog = DialogDriver(qtbot, again).open()
    assert dialog.appearance.density.currentData() == "compact"
    dialog.reject()


def test_the_chat_tab_names_with_the_model_and_chooses_the_send_key(
    make_window: WindowFactory,
    ui_settings: UiSettings,
    upstream: Upstream,
    memory_keyring: MemoryKeyring,
    qtbot: QtBot,
) -> None:
    window = make_window()
    client = window.controller.client
    assert client is not None and client.get_settings()["auto_title"] is True
    d = DialogDriver(qtbot, window)
    dialog = d.open()
    chat = dialog.chat
    assert chat.auto_title.isChecked() and chat.enter_sends.isChecked()
    d.choose_openai(dialog)
    d.type_into(dialog.base_url, upstream.base_url)
    d.type_into(dialog.api_key, KEY)
    dialog.model.setEditText("llama3.2")
    dialog.tabs.setCurrentWidget(chat)
    chat.auto_title.setChecked(False)
    chat.ctrl_enter.setChecked(True)
    assert not chat.enter_sends.isChecked()  # one of the two
    d.save(dialog)
    assert client.get_settings()["auto_title"] is False  # the backend's own setting
    assert window.composer.input.ctrl_enter_sends and ui_settings.send_with_ctrl_enter
    window.close()

    again = make_window(settings=_relaunched(ui_settings))  # pushed again at start
    again_client = again.controller.client
    assert again_client is not None
    qtbot.waitUntil(lambda: again_client.get_settings()["provider"] == "openai", timeout=WAIT_MS)
    assert again_client.get_settings()["auto_title"] is False
    dialog = DialogDriver(qtbot, again).open()
    assert not dialog.chat.auto_title.isChecked() and dialog.chat.ctrl_enter.isChecked()
    dialog.chat.auto_title.setChecked(True)
    DialogDriver(qtbot, again).save(dialog)
    assert again_client.get_settings()["auto_title"] is True


def test_escape_cancels_and_enter_saves(
    window: MainWindow, memory_keyring: MemoryKeyring, qtbot: QtBot
) -> None:
    client = window.controller.client
    assert client is not None
    qtbot.waitUntil(lambda: window.controller.runner.pending == 0, timeout=WAIT_MS)
    d = DialogDriver(qtbot, window)
    dialog = d.open()
    before = client.get_settings()["echo_delay"]
    assert dialog.echo_delay.value() == before
    dialog.echo_delay.setValue(0.25)
    qtbot.keyClick(dialog.echo_delay, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and client.get_settings()["echo_delay"] == before

    dialog = d.open()
    assert dialog.echo_delay.value() == before  # the cancelled entry is gone
    dialog.echo_delay.setFocus()
    dialog.echo_delay.setValue(0.25)
    with qtbot.waitSignal(window.provider_settings.key_stored, timeout=WAIT_MS):
        qtbot.keyClick(dialog.echo_delay, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert client.get_settings()["echo_delay"] == 0.25


def _tab_walk(dialog: SettingsDialog, qtbot: QtBot, start: QWidget) -> list[QWidget]:
    """The widgets Tab visits from `start` until it comes back to it."""
    start.setFocus()
    qtbot.waitUntil(start.hasFocus)
    seen: list[QWidget] = []
    for _ in range(40):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        now = QApplication.focusWidget()
        assert now is not None
        if now is start:
            return seen
        seen.append(now)
    raise AssertionError(f"Tab never came back: {[type(w).__name__ for w in seen]}")


def test_tab_goes_down_each_tab_then_to_the_buttons(
    window: MainWindow, memory_keyring: MemoryKeyring, qtbot: QtBot
) -> None:
    dialog = DialogDriver(qtbot, window).open()
    dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
    pages = ((dialog.model_tab, dialog.provider), (dialog.appearance, dialog.appearance.theme))
    for page, first in (*pages, (dialog.chat, dialog.chat.auto_title)):
        dialog.tabs.setCurrentWidget(page)
        walk = _tab_walk(dialog, qtbot, first)
        inside = [w for w in walk if page.isAncestorOf(w)]
        assert walk[: len(inside)] == inside  # the page first, then out of it
        tops = [w.mapTo(page, QPoint(0, 0)).y() for w in inside]
        assert tops == sorted(tops), [type(w).__name__ for w in inside]  # top to bottom
        assert dialog.save_button in walk and dialog.tabs.tabBar() in walk
    dialog.tabs.setCurrentWidget(dialog.model_tab)
    dialog.provider.setFocus()
    qtbot.keyClick(dialog.provider, Qt.Key.Key_Tab, CTRL)  # Ctrl+Tab: the next tab
    assert dialog.tabs.currentWidget() is dialog.appearance
    dialog.reject()


def test_a_failed_save_keeps_every_entry_and_says_why(
    make_window: WindowFactory,
    memory_keyring: MemoryKeyring,
    ui_settings: UiSettings,
    server: EmbeddedServer,
    qtbot: QtBot,
) -> None:
    window = make_window(launch=LaunchConfig(connect_url=server.base_url, token=server.token))
    d = DialogDriver(qtbot, window)
    dialog = d.open()
    dialog.echo_delay.setValue(0.5)
    dialog.tabs.setCurrentWidget(dialog.chat)
    dialog.chat.auto_title.setChecked(False)
    dialog.chat.ctrl_enter.setChecked(True)
    dialog.tabs.setCurrentWidget(dialog.appearance)
    dialog.appearance.density.setCurrentIndex(dialog.appearance.density.findData("compact"))
    server.stop()  # the `serve` process went away
    qtbot.keyClick(dialog.appearance.density, Qt.Key.Key_Return)  # Enter saves, off the GUI
    assert dialog.busy.isVisible() and not dialog.save_button.isEnabled()  # thread: not done
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("✗"), timeout=WAIT_MS)
    assert dialog.result_label.text().startswith("✗ Not saved: Cannot reach the chat backend")
    assert dialog.result_label.isVisible()  # under the tabs: seen from the Appearance tab
    assert dialog.tabs.currentWidget() is dialog.appearance and dialog.isVisible()
    assert dialog.echo_delay.value() == 0.5 and not dialog.chat.auto_title.isChecked()
    assert dialog.chat.ctrl_enter.isChecked()
    assert dialog.appearance.density.currentData() == "compact"
    assert dialog.save_button.isEnabled()  # to try again
    assert ui_settings.density == "comfortable" and not ui_settings.send_with_ctrl_enter
    dialog.reject()
