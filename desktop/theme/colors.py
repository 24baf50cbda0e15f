"""The colour tokens of the light and dark looks (`../shared/DESIGN.md`): `ThemeColors`,
`LIGHT`, `DARK`, and `TEXT_PAIRS` (which text colour is drawn on which background, each
pair >= 4.5:1, tested). Applied by `desktop.theme`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from desktop.render.contrast import mix

ThemeMode = Literal["system", "light", "dark"]
Scheme = Literal["light", "dark"]
MODES: tuple[ThemeMode, ...] = get_args(ThemeMode)


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
