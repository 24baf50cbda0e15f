"""WCAG 2 contrast of colours (no Qt): `contrast(a, b)`, and `readable(fg, bg)`, the colour
nearest `fg` in hue that reaches a ratio against `bg` (for a highlighter style's colours).

Colours are `#rrggbb` strings (or `rrggbb`, as Pygments writes them).
"""

from __future__ import annotations

#: WCAG AA for normal text.
AA = 4.5
#: What `readable` aims at: a little above AA, so rounding to 8-bit channels keeps it.
TARGET = 4.6


def rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def hex_of(channels: tuple[float, float, float]) -> str:
    r, g, b = (max(0, min(255, round(c))) for c in channels)
    return f"#{r:02x}{g:02x}{b:02x}"


def luminance(colour: str) -> float:
    """WCAG relative luminance."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(a: str, b: str, amount: float) -> str:
    """`a` laid over `b` at opacity `amount` (0: b, 1: a)."""
    ca, cb = rgb(a), rgb(b)
    return hex_of(
        (
            ca[0] * amount + cb[0] * (1 - amount),
            ca[1] * amount + cb[1] * (1 - amount),
            ca[2] * amount + cb[2] * (1 - amount),
        )
    )


def readable(fg: str, bg: str, ratio: float = TARGET) -> str:
    """`fg` if it reaches `ratio` against `bg`; else `fg` mixed towards black (on a light
    background) or white (on a dark one), as little as it takes."""
    if contrast(fg, bg) >= ratio:
        r, g, b = rgb(fg)
        return hex_of((r, g, b))
    toward = "#000000" if luminance(bg) > 0.18 else "#ffffff"
    low, high = 0.0, 1.0  # how much of `toward` to mix in
    for _ in range(20):
        mid = (low + high) / 2
        if contrast(mix(toward, fg, mid), bg) >= ratio:
            high = mid
        else:
            low = mid
    return mix(toward, fg, high)
