"""Font zoom: the app's font follows the system's size plus the Appearance setting's
offset (`UiSettings.font_offset`, in points), changed with Ctrl+= / Ctrl+- / Ctrl+0 and by
Settings → Appearance → Font size (one `FontZoom` for both: `changed` tells the other)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from desktop.prefs.ui import FONT_OFFSETS, UiSettings


def _app() -> QApplication | None:
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else None


class FontZoom(QObject):
    #: The offset now in force (points over the system's size).
    changed = Signal(int)

    def __init__(self, ui: UiSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ui = ui
        app = _app()
        font = app.font() if app is not None else QFont()
        self.base_points = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
        self.apply(ui.font_offset)

    @property
    def offset(self) -> int:
        return self.ui.font_offset

    def apply(self, offset: int) -> None:
        offset = max(FONT_OFFSETS[0], min(FONT_OFFSETS[-1], offset))
        self.ui.font_offset = offset
        app = _app()
        if app is not None:
            self._set(app, self.base_points + offset)
        self.changed.emit(offset)

    def zoom_in(self) -> None:
        self.apply(self.offset + 1)

    def zoom_out(self) -> None:
        self.apply(self.offset - 1)

    def reset(self) -> None:
        self.apply(0)

    def restore(self) -> None:
        """Back to the system's size (the window closes)."""
        app = _app()
        if app is not None:
            self._set(app, self.base_points, restyle=False)  # the window goes: no restyling

    @staticmethod
    def _set(app: QApplication, points: float, restyle: bool = True) -> None:
        """The app's font and every open window's. With a stylesheet in force, Qt fixed
        the font of each widget a rule styles when it polished it (the composer's input,
        the header's title...), so the stylesheet is applied again: they take the new
        size from their window."""
        font = app.font()
        if font.pointSizeF() == points:
            return  # as it is (a window opening at the system's size): no restyling
        font.setPointSizeF(points)
        app.setFont(font)
        for widget in app.topLevelWidgets():
            widget.setFont(font)
        sheet = app.styleSheet()
        if sheet and restyle:
            app.setStyleSheet(sheet)
