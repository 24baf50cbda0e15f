"""Light and dark looks that follow the system colour scheme (or a manual choice).

`apply_theme(app, "system" | "light" | "dark")` sets the Fusion style, a full `QPalette` and
the stylesheet (`resources/styles/chat.qss`, filled from the scheme's `ThemeColors`). In
"system" mode it follows `QStyleHints.colorScheme()` and re-applies itself when the desktop
switches (`colorSchemeChanged`); an unknown scheme counts as light. The Settings dialog is
meant to call it with the user's choice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from string import Template
from typing import Literal, get_args

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop.resources import read_text

log = logging.getLogger(__name__)

ThemeMode = Literal["system", "light", "dark"]
Scheme = Literal["light", "dark"]
MODES: tuple[ThemeMode, ...] = get_args(ThemeMode)
STYLESHEET = "styles/chat.qss"


@dataclass(frozen=True)
class ThemeColors:
    """Every colour the palette and the stylesheet template use (`#rrggbb`)."""

    window: str
    base: str
    alternate_base: str
    text: str
    muted: str
    border: str
    button: str
    accent: str
    accent_text: str
    link: str
    chat_bg: str
    user_bubble: str
    user_border: str
    user_author: str
    assistant_bubble: str
    assistant_border: str
    author: str
    warning: str
    error: str
    error_bg: str
    banner_bg: str


LIGHT = ThemeColors(
    window="#f3f4f6",
    base="#ffffff",
    alternate_base="#f6f7f9",
    text="#1f2328",
    muted="#6b7280",
    border="#c9ced6",
    button="#e9ebef",
    accent="#3d63dd",
    accent_text="#ffffff",
    link="#2f55c8",
    chat_bg="#fafafb",
    user_bubble="#dde8ff",
    user_border="#b3c8f5",
    user_author="#24438f",
    assistant_bubble="#ffffff",
    assistant_border="#dcdfe4",
    author="#374151",
    warning="#8a5a00",
    error="#b00020",
    error_bg="#fde7e9",
    banner_bg="#e8eef9",
)

DARK = ThemeColors(
    window="#1f2023",
    base="#27292d",
    alternate_base="#2c2e33",
    text="#e6e7ea",
    muted="#9aa0a8",
    border="#45484f",
    button="#33363c",
    accent="#7c9bff",
    accent_text="#10131a",
    link="#9db4ff",
    chat_bg="#18191c",
    user_bubble="#263a66",
    user_border="#36508a",
    user_author="#c3d3ff",
    assistant_bubble="#2a2c31",
    assistant_border="#3b3e45",
    author="#d0d3d9",
    warning="#e3b458",
    error="#ff8a80",
    error_bg="#4a1f24",
    banner_bg="#2a3245",
)

SCHEMES: dict[Scheme, ThemeColors] = {"light": LIGHT, "dark": DARK}


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
        role.Highlight: colors.accent,
        role.HighlightedText: colors.accent_text,
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
    """`resources/styles/chat.qss` with every `$name` replaced by that colour."""
    return Template(read_text(STYLESHEET)).safe_substitute(asdict(colors))


def system_scheme() -> Scheme:
    """The desktop's colour scheme; light when Qt cannot tell."""
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


class _ThemeState(QObject):
    """Lives on the app: the chosen mode, and the link to system scheme changes."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("sse-chat-theme")
        self.app = app
        self.mode: ThemeMode = "system"
        self.scheme: Scheme | None = None
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


def current_theme(app: QApplication) -> tuple[ThemeMode, Scheme | None]:
    """The mode chosen and the scheme shown (None before the first `apply_theme`)."""
    found = app.findChild(_ThemeState, "sse-chat-theme")
    if not isinstance(found, _ThemeState):
        return "system", None
    return found.mode, found.scheme
