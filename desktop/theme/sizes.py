"""The size tokens: what widgets set themselves (the stylesheet cannot), the message
densities, the sidebar's metrics and the message typography (`TYPE`). The rest of the sizes
live in `resources/styles/chat.qss`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# Size tokens that widgets set themselves (the stylesheet cannot: a `QFrame`'s min-height
# there is not honoured by its layout). The rest of the sizes live in `chat.qss`.
HEADER_HEIGHT = 48  # DESIGN.md: the chat header
POPOVER_MIN_WIDTH = 320  # the header's system prompt popover
POPOVER_RADIUS = 12  # its corners (as chat.qss's QFrame#promptPopover: DESIGN's card radius)
COMPOSER_MAX_WIDTH = 760  # DESIGN.md: the reading column (the composer is centred in it)
SCROLL_HANDLE_RADIUS = 4  # the chat view's scroll bar handle (`SlimScrollBar` draws it)


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
