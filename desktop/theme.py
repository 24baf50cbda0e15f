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

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop.render.contrast import mix
from desktop.resources import read_text

log = logging.getLogger(__name__)

ThemeMode = Literal["system", "light", "dark"]
Scheme = Literal["light", "dark"]
MODES: tuple[ThemeMode, ...] = get_args(ThemeMode)
STYLESHEET = "styles/chat.qss"


@dataclass(frozen=True)
class ThemeColors:
    """Every colour the palette, the stylesheet template and the renderers use (`#rrggbb`;
    `code_style` names the Pygments style code is coloured with, each of its colours made
    to reach AA on `code_bg` by `desktop.render.highlight`). The values follow
    `../shared/DESIGN.md`'s tokens; `TEXT_PAIRS` lists what is drawn on what."""

    window: str  # the window around the chat page: DESIGN's sidebar
    base: str  # inputs, lists: DESIGN's bg
    alternate_base: str  # DESIGN's surface (cards, menus)
    text: str
    muted: str
    border: str
    button: str
    accent: str  # focus, primary button
    accent_text: str  # text on accent
    link: str
    chat_bg: str  # the chat page: DESIGN's bg
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
    sidebar: str
    code_bg: str
    inline_code_bg: str
    danger: str
    ok: str  # the connection dot when online (not text)
    selection_bg: str  # selected text, highlighted menu item
    selection_text: str
    current_bg: str  # the sidebar's current conversation
    code_style: str


def _scheme(
    *, accent: str, sidebar: str, bg: str, selection: float, current: float, **rest: str
) -> ThemeColors:
    """The tokens of one scheme; the selection colours are the accent laid over the page
    (selected text) or over the sidebar (current conversation) at `selection`/`current`."""
    return ThemeColors(
        accent=accent,
        link=accent,
        window=sidebar,
        sidebar=sidebar,
        base=bg,
        chat_bg=bg,
        selection_bg=mix(accent, bg, selection),
        selection_text=rest["text"],
        current_bg=mix(accent, sidebar, current),
        **rest,
    )


LIGHT = _scheme(
    accent="#0a62d0",
    sidebar="#f3f3f5",
    bg="#ffffff",
    selection=0.25,
    current=0.12,
    alternate_base="#f7f7f8",
    text="#1f2328",
    muted="#59636e",
    border="#d8dee4",
    button="#e9ebef",
    accent_text="#ffffff",
    user_bubble="#dde8ff",
    user_border="#b3c8f5",
    user_author="#24438f",
    assistant_bubble="#ffffff",
    assistant_border="#d8dee4",
    author="#374151",
    warning="#8a5a00",
    error="#b00020",
    error_bg="#fde7e9",
    banner_bg="#e8eef9",
    code_bg="#f6f8fa",
    inline_code_bg="#eff1f3",
    danger="#c9252d",
    ok="#1a7f37",
    code_style="default",
)

DARK = _scheme(
    accent="#6cb0ff",
    sidebar="#131417",
    bg="#17181c",
    selection=0.35,
    current=0.18,
    alternate_base="#1f2126",
    text="#e6e8eb",
    muted="#9aa3ad",
    border="#30343b",
    button="#2a2d34",
    accent_text="#0f1013",
    user_bubble="#263a66",
    user_border="#36508a",
    user_author="#c3d3ff",
    assistant_bubble="#1f2126",
    assistant_border="#30343b",
    author="#d0d3d9",
    warning="#e3b458",
    error="#ff8a80",
    error_bg="#4a1f24",
    banner_bg="#2a3245",
    code_bg="#0f1013",
    inline_code_bg="#2a2d34",
    danger="#ff6b6b",
    ok="#3fb950",
    code_style="github-dark",
)

#: Text colour -> the backgrounds it is drawn on (WCAG AA, 4.5:1, for each: tested, with
#: every code token colour on `code_bg` too).
TEXT_PAIRS: dict[str, tuple[str, ...]] = {
    "text": (
        "window",
        "base",
        "alternate_base",
        "button",
        "chat_bg",
        "user_bubble",
        "assistant_bubble",
        "banner_bg",
        "sidebar",
        "code_bg",
        "inline_code_bg",
        "current_bg",
    ),
    "selection_text": ("selection_bg",),
    "muted": (
        "window",
        "base",
        "alternate_base",
        "chat_bg",
        "assistant_bubble",
        "code_bg",
        "inline_code_bg",  # a code block's header
    ),
    "link": (
        "base",
        "chat_bg",
        "user_bubble",
        "assistant_bubble",
        "code_bg",
        "alternate_base",
        "inline_code_bg",
    ),
    "accent_text": ("accent",),
    "author": ("assistant_bubble",),
    "user_author": ("user_bubble",),
    "warning": ("assistant_bubble", "chat_bg"),
    "error": ("assistant_bubble", "user_bubble", "error_bg", "base"),
    "danger": ("base", "alternate_base", "chat_bg"),
}

SCHEMES: dict[Scheme, ThemeColors] = {"light": LIGHT, "dark": DARK}

# Size tokens that widgets set themselves (the stylesheet cannot: a `QFrame`'s min-height
# there is not honoured by its layout). The rest of the sizes live in `chat.qss`.
HEADER_HEIGHT = 48  # DESIGN.md: the chat header
POPOVER_MIN_WIDTH = 320  # the header's system prompt popover
POPOVER_RADIUS = 12  # its corners (as chat.qss's QFrame#promptPopover: DESIGN's card radius)
COMPOSER_MAX_WIDTH = 760  # DESIGN.md: the reading column (the composer is centred in it)


Density = Literal["comfortable", "compact"]
DENSITY_MODES: tuple[Density, ...] = get_args(Density)


@dataclass(frozen=True)
class DensityMetrics:
    """The message spacing of one density (Settings → Appearance → Message density)."""

    message_gap: int  # between two messages of the chat column
    bubble_pad_x: int  # a user bubble's padding
    bubble_pad_y: int
    inner: int  # between a message's parts (status, body, model line)


DENSITIES: dict[Density, DensityMetrics] = {
    "comfortable": DensityMetrics(message_gap=16, bubble_pad_x=14, bubble_pad_y=10, inner=4),
    "compact": DensityMetrics(message_gap=4, bubble_pad_x=10, bubble_pad_y=5, inner=2),
}
SETTINGS_MIN_WIDTH = 620  # the Settings dialog's tabs (its rows, labels left, never squeezed)


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
    """`resources/styles/chat.qss` with every `$name` replaced by that colour."""
    return Template(read_text(STYLESHEET)).safe_substitute(asdict(colors))


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


@dataclass(frozen=True)
class SidebarMetrics:
    """The sidebar's sizes (DESIGN.md: 260 px wide, resizable 200-400, rows 36 px)."""

    width: int = 260
    min_width: int = 200
    max_width: int = 400
    row: int = 36  # a conversation's row
    section: int = 28  # a date group's label above its first row
    pad: int = 10  # text inset in a row
    radius: int = 6  # a row's hover/current background
    dot: int = 8  # the "reply streaming" dot
    more: int = 28  # the hover "⋯" button's width
    result: int = 64  # a search result (title, snippet, date)
    fold_below: int = 700  # the window width under which the sidebar folds away
    search_delay_ms: int = 200  # typing pause before a search is sent
    highlight_ms: int = 1500  # how long a revealed message stays highlighted


SIDEBAR = SidebarMetrics()


@dataclass(frozen=True)
class TypeScale:
    """How a message's text is set (DESIGN.md's Type section): sizes are of the body
    font, spacings in `em` (its pixel size) unless they say px."""

    line_height: float = 1.5  # of the font size, in message text
    paragraph_space: float = 0.75  # em, under a paragraph
    item_space: float = 0.25  # em, under a list item
    h1: float = 1.4
    h2: float = 1.25
    h3: float = 1.1  # h4-h6: the body size, semibold
    heading_space: float = 1.0  # em, above a heading (not the first block)
    heading_after: float = 0.35  # em, under a heading
    list_indent: float = 1.5  # em per list level, bullets and numbers alike
    code: float = 0.92  # inline code, of the body size
    quote_bar: int = 3  # px, a blockquote's left bar (border colour)
    quote_pad: int = 12  # px, between the bar and the quoted text
    cell_pad_x: int = 12  # px, a table cell's side padding
    cell_pad_y: int = 6  # px, above and under a cell's text
    cell_nowrap_chars: int = 40  # a table cell this short is never wrapped


TYPE = TypeScale()


def colors_of(app: QApplication | None = None) -> ThemeColors:
    """The tokens of the scheme shown (light before the first `apply_theme`)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    scheme = current_theme(app)[1] if isinstance(app, QApplication) else None
    return SCHEMES[scheme or "light"]
