"""`ThemeChooser`: the Settings dialog's theme box. A choice applies at once (the window
changes while the dialog is open); `revert()` puts the saved theme back (Cancel), `save()`
keeps the choice in the UI settings."""

from __future__ import annotations

from typing import cast

from PySide6.QtWidgets import QApplication, QComboBox, QWidget

from desktop.prefs.ui import UiSettings
from desktop.theme import MODES, ThemeMode, apply_theme

THEME_LABELS: dict[ThemeMode, str] = {"system": "System", "light": "Light", "dark": "Dark"}


class ThemeChooser(QComboBox):
    def __init__(self, ui_settings: UiSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui_settings = ui_settings
        for mode in MODES:
            self.addItem(THEME_LABELS[mode], mode)
        self.saved: ThemeMode = ui_settings.theme
        self.currentIndexChanged.connect(self._apply)

    @property
    def mode(self) -> ThemeMode:
        return cast(ThemeMode, self.currentData())

    def show_saved(self) -> None:
        """Show (and apply) the theme as saved."""
        self.saved = self.ui_settings.theme
        self.setCurrentIndex(max(self.findData(self.saved), 0))

    def revert(self) -> None:
        """Put the saved theme back (re-applied) if another one is shown."""
        if self.mode != self.saved:
            self.setCurrentIndex(max(self.findData(self.saved), 0))

    def save(self) -> None:
        self.ui_settings.theme = self.mode
        self.saved = self.ui_settings.theme

    def _apply(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.mode)
