"""Every focusable control of the real window (and of the Settings dialog) has an
accessible name, read through `QAccessible` as a screen reader would; every control of
every Settings tab also a description."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QTabBar, QWidget
from pytestqt.qtbot import QtBot

from desktop.views.main_window import MainWindow
from tests.support.window_driver import Driver


def nameless(root: QWidget) -> list[str]:
    """The visible focusable widgets under `root` whose accessible name is empty. (A
    read-only text view - a message's text, a code block - is read by its content, its
    accessible value, as screen readers do with documents.)"""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) or widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if widget.focusProxy() is not None:
            continue
        iface = QAccessible.queryAccessibleInterface(widget)
        name = iface.text(QAccessible.Text.Name) if iface is not None else ""
        read_only_text = (
            iface is not None
            and iface.state().readOnly
            and bool(iface.text(QAccessible.Text.Value).strip())
        )
        if not name.strip() and not read_only_text:
            found.append(f"{type(widget).__name__}#{widget.objectName()}")
    return found


def undescribed(root: QWidget) -> list[str]:
    """The visible focusable widgets under `root` without an accessible description."""
    found = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if widget.focusProxy() is not None:
            continue
        iface = QAccessible.queryAccessibleInterface(widget)
        if isinstance(widget, QTabBar) and iface is not None:
            iface = iface.child(widget.currentIndex())  # a tab bar is read by its current tab
        if iface is None or not iface.text(QAccessible.Text.Description).strip():
            found.append(f"{type(widget).__name__}:{widget.accessibleName()}")
    return found


def test_every_focusable_control_of_the_window_has_a_name(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("a reply with `code`\n\n```py\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    d.wait_reply_done()
    QApplication.processEvents()
    assert nameless(window) == []


def test_every_focusable_control_of_the_settings_dialog_has_a_name(
    window: MainWindow, qtbot: QtBot
) -> None:
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    names = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert names == ["Model", "Appearance", "Chat"]
    for provider in ("echo", "openai"):  # each tab, with each provider's fields
        dialog.provider.setCurrentIndex(dialog.provider.findData(provider))
        for index, name in enumerate(names):
            dialog.tabs.setCurrentIndex(index)
            assert dialog.tabs.currentWidget().isVisible()
            assert (name, nameless(dialog)) == (name, [])
            assert (name, undescribed(dialog)) == (name, [])  # and what it does
    dialog.close()


def test_the_shortcuts_sheet_and_the_prompt_popover_have_names(
    window: MainWindow, driver: Callable[[MainWindow], Driver], qtbot: QtBot
) -> None:
    d = driver(window)
    d.send("hi")
    d.wait_reply_done()
    window.keys.open_sheet()
    assert window.keys.sheet is not None
    qtbot.waitUntil(window.keys.sheet.isVisible)
    assert nameless(window.keys.sheet) == []
    window.keys.sheet.close()
    window.header.open_prompt()
    qtbot.waitUntil(window.header.popover.isVisible)
    assert nameless(window.header.popover) == []
    window.header.popover.hide()
