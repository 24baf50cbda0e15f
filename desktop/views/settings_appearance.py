"""`AppearanceTab`: Settings → Appearance: the theme, the font size and the message density.

Each choice applies at once (the window changes while the dialog is open): the theme through
`ThemeChooser`, the font size through the window's `FontZoom` (the same one Ctrl+= / Ctrl+- /
Ctrl+0 drive, so a zoom shows here and a size chosen here is where the keys go on from),
the density through `desktop.theme.apply_density` (the chat view re-spaces its messages).
`revert()` puts back what was in force when the dialog opened (Cancel); `save()` keeps the
choices in the UI settings (the font offset is kept as it changes, as the zoom keys do).
"""

from __future__ import annotations

from typing import cast

from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.prefs.ui import FONT_OFFSETS, UiSettings
from desktop.theme import DENSITY_MODES, Density, apply_density
from desktop.views.form_utils import describe, help_line, label_buddies, side_by_side, tidy_form
from desktop.views.theme_chooser import ThemeChooser
from desktop.views.zoom import FontZoom

DENSITY_LABELS: dict[Density, str] = {"comfortable": "Comfortable", "compact": "Compact"}
THEME_HELP = "System follows your desktop's light or dark setting."
DENSITY_HELP = "Compact puts less space between and inside messages."
FONT_HELP = (
    "Your system's size is {base:g} pt. Ctrl+= and Ctrl+- change the size too; Ctrl+0 puts "
    "the system's back."
)


def _apply_density(density: Density) -> None:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_density(app, density)


class AppearanceTab(QWidget):
    def __init__(self, ui: UiSettings, zoom: FontZoom, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("appearanceTab")
        self.ui = ui
        self.zoom = zoom
        self._opened_offset = zoom.offset
        self.theme = ThemeChooser(ui, self)
        base = round(zoom.base_points)
        self.font_size = QSpinBox(self)
        self.font_size.setRange(base + FONT_OFFSETS[0], base + FONT_OFFSETS[-1])
        self.font_size.setSuffix(" pt")
        self.font_size.setValue(base + zoom.offset)
        self.font_size.valueChanged.connect(self._size_chosen)
        self.system_size = QPushButton("&System size", self)
        self.system_size.setAccessibleName("Use the system font size")
        self.system_size.setAutoDefault(False)  # Enter saves the dialog, never resets this
        self.system_size.clicked.connect(zoom.reset)
        zoom.changed.connect(self._zoomed)
        describe((self.system_size, "Back to your system's font size (Ctrl+0)."))
        self.density = QComboBox(self)
        for mode in DENSITY_MODES:
            self.density.addItem(DENSITY_LABELS[mode], mode)
        self.density.currentIndexChanged.connect(lambda _i: _apply_density(self.density_mode))

        size_row = side_by_side(self, self.font_size, self.system_size)
        for field in (self.theme, size_row, self.density):  # short choices: no full-width boxes
            field.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        form = QFormLayout()
        form.addRow("Th&eme:", self.theme)
        help_line(form, self.theme, THEME_HELP)
        form.addRow("&Font size:", size_row)
        self.font_help = help_line(form, self.font_size, FONT_HELP.format(base=zoom.base_points))
        form.addRow("Message &density:", self.density)
        help_line(form, self.density, DENSITY_HELP)
        label_buddies(form)
        tidy_form(form)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)

    @property
    def density_mode(self) -> Density:
        return cast(Density, self.density.currentData())

    def show_saved(self) -> None:
        """Show (and apply) the choices as saved; remember them for `revert()`."""
        self.theme.show_saved()
        self._opened_offset = self.zoom.offset
        self._zoomed(self.zoom.offset)
        self.density.setCurrentIndex(max(self.density.findData(self.ui.density), 0))
        _apply_density(self.density_mode)

    def revert(self) -> None:
        self.theme.revert()
        if self.zoom.offset != self._opened_offset:
            self.zoom.apply(self._opened_offset)
        self.density.setCurrentIndex(max(self.density.findData(self.ui.density), 0))

    def save(self) -> None:
        self.theme.save()
        self.ui.density = self.density_mode
        self._opened_offset = self.zoom.offset

    def _size_chosen(self, points: int) -> None:
        offset = points - round(self.zoom.base_points)
        if offset != self.zoom.offset:
            self.zoom.apply(offset)

    def _zoomed(self, offset: int) -> None:
        """The zoom keys (or this tab) changed the size: show it."""
        value = round(self.zoom.base_points) + offset
        if self.font_size.value() != value:
            self.font_size.blockSignals(True)
            self.font_size.setValue(value)
            self.font_size.blockSignals(False)
        self.system_size.setEnabled(offset != 0)
