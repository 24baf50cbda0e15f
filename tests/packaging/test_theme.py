"""`apply_theme`: light and dark palettes and stylesheets, and the window really changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from backend.config import Settings
from desktop import theme
from desktop.app import build_window
from desktop.prefs.ui import UiSettings
from desktop.records import Message
from desktop.theme import DARK, LIGHT, ThemeColors, apply_theme, current_theme
from desktop.views.main_window import MainWindow
from desktop.views.message_widget import MessageWidget
from desktop.workers import LaunchConfig


def message(role: str) -> Message:
    return Message("m-" + role, "c1", role, "Hello there", "complete", "2026-01-01T00:00:00Z")


def bubble_colour(qtbot: QtBot, role: str) -> QColor:
    """The colour painted inside a user's bubble next to its left edge, or at a reply's
    left edge (a reply is unboxed: nothing of its own there)."""
    widget = MessageWidget(message(role))
    qtbot.addWidget(widget)
    widget.resize(300, 80)
    widget.show()
    qtbot.waitExposed(widget)
    image = widget.grab().toImage()
    box = widget.bubble.geometry() if widget.bubble is not None else widget.rect()
    return image.pixelColor(box.left() + 5, box.center().y())


def window_colour(qtbot: QtBot, window: MainWindow) -> QColor:
    image = window.grab().toImage()
    return image.pixelColor(image.width() - 3, image.height() // 2)


def test_light_and_dark_set_different_palettes_and_stylesheets(app: QApplication) -> None:
    assert apply_theme(app, "light") == "light"
    light_sheet, light_window = app.styleSheet(), app.palette().color(QPalette.ColorRole.Window)
    assert apply_theme(app, "dark") == "dark"
    dark_sheet, dark_window = app.styleSheet(), app.palette().color(QPalette.ColorRole.Window)
    assert light_window == QColor(LIGHT.window) and dark_window == QColor(DARK.window)
    assert LIGHT.user_bubble in light_sheet and DARK.user_bubble in dark_sheet
    assert light_sheet != dark_sheet
    assert "$" not in light_sheet and "$" not in dark_sheet  # every placeholder filled
    assert current_theme(app) == ("dark", "dark")


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_text_is_legible_on_every_bubble(colors: ThemeColors) -> None:
    def luminance(hex_colour: str) -> float:
        colour = QColor(hex_colour)
        channels = [colour.redF(), colour.greenF(), colour.blueF()]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for background in (colors.user_bubble, colors.assistant_bubble, colors.base, colors.window):
        assert contrast(colors.text, background) >= 7, background  # WCAG AAA
    assert contrast(colors.user_bubble, colors.assistant_bubble) > 1.15  # visibly different


def test_window_and_bubbles_change_colour(
    app: QApplication, qtbot: QtBot, tmp_path: Path, ui_settings: UiSettings
) -> None:
    window = build_window(LaunchConfig(settings=Settings(data_dir=tmp_path / "d")), ui_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    seen = {}
    for mode in ("light", "dark"):
        apply_theme(app, mode)
        seen[mode] = (
            window_colour(qtbot, window),
            bubble_colour(qtbot, "user"),
            bubble_colour(qtbot, "assistant"),
        )
    for mode, colors in (("light", LIGHT), ("dark", DARK)):
        _window, user, assistant = seen[mode]
        assert user == QColor(colors.user_bubble), mode
        assert assistant.alpha() == 0, mode  # a reply is plain on the page (DESIGN.md)
    assert seen["light"][0] != seen["dark"][0]
    window.shutdown()


def test_system_mode_follows_the_colour_scheme(
    app: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offscreen platform cannot switch schemes: the desktop's switch is simulated by
    what `system_scheme()` reports plus the real `colorSchemeChanged` signal."""
    hints = QGuiApplication.styleHints()
    system = ["light"]
    monkeypatch.setattr(theme, "system_scheme", lambda: system[0])
    assert apply_theme(app, "system") == "light"
    system[0] = "dark"
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert current_theme(app) == ("system", "dark")
    assert app.palette().color(QPalette.ColorRole.Window) == QColor(DARK.window)
    apply_theme(app, "light")  # a manual choice wins over the system
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert current_theme(app) == ("light", "light")
    system[0] = "light"
    assert apply_theme(app, "system") == "light"


def test_unknown_mode_is_refused(app: QApplication) -> None:
    with pytest.raises(ValueError, match="theme must be one of system, light, dark"):
        apply_theme(app, "blue")  # type: ignore[arg-type]
