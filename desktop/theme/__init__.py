"""Light and dark looks that follow the system colour scheme (or a manual choice).

`apply_theme(app, "system" | "light" | "dark")` sets the Fusion style, a full `QPalette` and
the stylesheet (`resources/styles/chat.qss`, filled from the scheme's `ThemeColors`). In
"system" mode it follows `QStyleHints.colorScheme()` and re-applies itself when the desktop
switches (`colorSchemeChanged`); an unknown scheme counts as light. The Settings dialog is
meant to call it with the user's choice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from string import Template

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop.resources import read_text
from desktop.theme.colors import (
    DARK,
    LIGHT,
    MODES,
    SCHEMES,
    TEXT_PAIRS,
    Scheme,
    ThemeColors,
    ThemeMode,
)
from desktop.theme.indicators import images_for
from desktop.theme.sizes import (
    COMPOSER_MAX_WIDTH,
    DENSITIES,
    DENSITY_MODES,
    HEADER_HEIGHT,
    POPOVER_MIN_WIDTH,
    POPOVER_RADIUS,
    SCROLL_HANDLE_RADIUS,
    SETTINGS_MIN_WIDTH,
    SIDEBAR,
    TYPE,
    Density,
    DensityMetrics,
    SidebarMetrics,
    TypeScale,
)

__all__ = [
    "COMPOSER_MAX_WIDTH",
    "DARK",
    "DENSITIES",
    "DENSITY_MODES",
    "HEADER_HEIGHT",
    "LIGHT",
    "MODES",
    "POPOVER_MIN_WIDTH",
    "POPOVER_RADIUS",
    "SCROLL_HANDLE_RADIUS",
    "SCHEMES",
    "SETTINGS_MIN_WIDTH",
    "SIDEBAR",
    "STYLESHEET",
    "TEXT_PAIRS",
    "TYPE",
    "Density",
    "DensityMetrics",
    "Scheme",
    "SidebarMetrics",
    "ThemeColors",
    "ThemeMode",
    "TypeScale",
    "apply_density",
    "apply_theme",
    "colors_of",
    "current_density",
    "current_theme",
    "density_changes",
    "palette_for",
    "stylesheet_for",
    "system_scheme",
    "theme_changes",
]

log = logging.getLogger(__name__)

STYLESHEET = "styles/chat.qss"


def palette_for(colors: ThemeColors) -> QPalette:
    """A complete palette (active, inactive and disabled) for `colors`."""
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    palette = QPalette()
    normal = {
        role.Window: colors.window,
        role.WindowText: colors.text,
        role.Base: colors.base,
        role.AlternateBase: colors.alternate_base,
        role.Text: colors.text,
        role.Button: colors.button,
        role.ButtonText: colors.text,
        role.BrightText: colors.error,
        role.ToolTipBase: colors.base,
        role.ToolTipText: colors.text,
        role.PlaceholderText: colors.muted,
        role.Highlight: colors.selection_bg,
        role.HighlightedText: colors.selection_text,
        role.Link: colors.link,
        role.LinkVisited: colors.link,
        role.Light: colors.base,
        role.Midlight: colors.button,
        role.Mid: colors.border,
        role.Dark: colors.border,
        role.Shadow: "#000000",
    }
    for color_role, value in normal.items():
        palette.setColor(color_role, QColor(value))
    for color_role in (role.WindowText, role.Text, role.ButtonText, role.HighlightedText):
        palette.setColor(group.Disabled, color_role, QColor(colors.muted))
    palette.setColor(group.Disabled, role.Button, QColor(colors.window))
    return palette


def stylesheet_for(colors: ThemeColors) -> str:
    """`resources/styles/chat.qss` with every `$name` replaced by that colour (and
    `$tick_image`, `$chevron_image` by the paths of those images in its colours)."""
    names = asdict(colors) | images_for(colors.accent_text, colors.muted)
    return Template(read_text(STYLESHEET)).safe_substitute(names)


def system_scheme() -> Scheme:
    """The desktop's colour scheme; light when Qt cannot tell."""
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


class _ThemeState(QObject):
    """Lives on the app: the chosen mode, and the link to system scheme changes."""

    #: The scheme shown changed ("light" or "dark"), after the palette and stylesheet.
    changed = Signal(str)
    #: The message density changed (its name: "comfortable" or "compact").
    density_changed = Signal(str)

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("sse-chat-theme")
        self.app = app
        self.mode: ThemeMode = "system"
        self.scheme: Scheme | None = None
        self.density: Density = "comfortable"
        self.fusion = False
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode == "system":
            self.apply(system_scheme())

    def apply(self, scheme: Scheme) -> None:
        if scheme == self.scheme:
            return
        colors = SCHEMES[scheme]
        if not self.fusion:
            self.app.setStyle("Fusion")  # the one style that honours the palette everywhere
            self.fusion = True
        self.app.setPalette(palette_for(colors))
        self.app.setStyleSheet(stylesheet_for(colors))
        self.scheme = scheme
        log.info("theme: %s (mode %s)", scheme, self.mode)
        self.changed.emit(scheme)


def apply_density(app: QApplication, density: Density) -> None:
    """Space messages by `density` from now on; `density_changes(app)` tells the views."""
    if density not in DENSITY_MODES:
        raise ValueError(f"density must be one of {', '.join(DENSITY_MODES)}, not {density!r}")
    state = _state(app)
    if density != state.density:
        state.density = density
        state.density_changed.emit(density)


def density_changes(app: QApplication) -> SignalInstance:
    """A signal emitted with the new density's name each time it changes."""
    return _state(app).density_changed


def current_density(app: QApplication | None = None) -> DensityMetrics:
    """The spacing in force ("comfortable" before the first `apply_density`)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    found = app.findChild(_ThemeState, "sse-chat-theme") if isinstance(app, QApplication) else None
    return DENSITIES[found.density if isinstance(found, _ThemeState) else "comfortable"]


def _state(app: QApplication) -> _ThemeState:
    found = app.findChild(_ThemeState, "sse-chat-theme")
    return found if isinstance(found, _ThemeState) else _ThemeState(app)


def apply_theme(app: QApplication, mode: ThemeMode = "system") -> Scheme:
    """Use `mode` from now on; returns the scheme now shown ("light" or "dark")."""
    if mode not in MODES:
        raise ValueError(f"theme must be one of {', '.join(MODES)}, not {mode!r}")
    state = _state(app)
    state.mode = mode
    scheme: Scheme = system_scheme() if mode == "system" else mode
    state.apply(scheme)
    return scheme


def theme_changes(app: QApplication) -> SignalInstance:
    """A signal emitted with the new scheme each time the scheme shown changes (a manual
    choice or the desktop's): where widgets that baked colours in (`restyle()` of
    `MarkdownSegment`, `PlainSegment`, `CodeBlock`) are told."""
    return _state(app).changed


def current_theme(app: QApplication) -> tuple[ThemeMode, Scheme | None]:
    """The mode chosen and the scheme shown (None before the first `apply_theme`)."""
    found = app.findChild(_ThemeState, "sse-chat-theme")
    if not isinstance(found, _ThemeState):
        return "system", None
    return found.mode, found.scheme


def colors_of(app: QApplication | None = None) -> ThemeColors:
    """The tokens of the scheme shown (light before the first `apply_theme`)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    scheme = current_theme(app)[1] if isinstance(app, QApplication) else None
    return SCHEMES[scheme or "light"]
