"""Every text colour reaches WCAG AA (4.5:1) on its background, in both themes: the theme's
tokens, the palette built from them, and each code token colour of the highlighter; and
code, links and formulas take the new theme's colours on `restyle()`."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from pygments.token import Token
from PySide6.QtCore import QStringListModel
from PySide6.QtGui import QColor, QPalette, QTextCursor
from PySide6.QtWidgets import QApplication, QListView
from pytestqt.qtbot import QtBot

from desktop.render.contrast import AA, contrast, readable
from desktop.render.highlight import palette
from desktop.theme import (
    DARK,
    LIGHT,
    SCHEMES,
    TEXT_PAIRS,
    ThemeColors,
    apply_theme,
    palette_for,
    theme_changes,
)
from desktop.views.code_block import CodeBlock
from desktop.views.segments import MarkdownSegment

THEMES = [LIGHT, DARK]
IDS = ["light", "dark"]


def token_colours(dark: bool) -> dict[str, str]:
    """Token type -> the colour the highlighter paints it with (the text colour where the
    style gives none), for every token type the style lists."""
    colors = SCHEMES["dark" if dark else "light"]
    colours = palette(dark)
    out: dict[str, str] = {}
    for ttype, _spec in colours.style:
        if ttype in (Token.Text.Whitespace,):  # spaces: nothing to read
            continue
        brush = colours.format(ttype).foreground()
        out[str(ttype)] = brush.color().name() if brush.style().value else colors.text
    return out


@pytest.mark.parametrize("colors", THEMES, ids=IDS)
def test_every_token_pair_reaches_aa(colors: ThemeColors) -> None:
    tokens = asdict(colors)
    low = [
        f"{fg} {tokens[fg]} on {bg} {tokens[bg]}: {contrast(tokens[fg], tokens[bg]):.2f}"
        for fg, backgrounds in TEXT_PAIRS.items()
        for bg in backgrounds
        if contrast(tokens[fg], tokens[bg]) < AA
    ]
    assert low == []


@pytest.mark.parametrize("colors", THEMES, ids=IDS)
def test_the_palette_reaches_aa(colors: ThemeColors) -> None:
    pal = palette_for(colors)
    role = QPalette.ColorRole
    pairs = [
        (role.Text, role.Base),
        (role.Text, role.AlternateBase),
        (role.WindowText, role.Window),
        (role.ButtonText, role.Button),
        (role.HighlightedText, role.Highlight),
        (role.ToolTipText, role.ToolTipBase),
        (role.PlaceholderText, role.Base),
        (role.Link, role.Base),
        (role.LinkVisited, role.Base),
    ]
    low = [
        (fg.name, bg.name, round(contrast(pal.color(fg).name(), pal.color(bg).name()), 2))
        for fg, bg in pairs
        if contrast(pal.color(fg).name(), pal.color(bg).name()) < AA
    ]
    assert low == []


@pytest.mark.parametrize("dark", [False, True], ids=IDS)
def test_every_code_token_colour_reaches_aa_on_the_code_background(dark: bool) -> None:
    background = SCHEMES["dark" if dark else "light"].code_bg
    colours = token_colours(dark)
    assert len(colours) > 50  # the whole style was looked at
    low = {t: c for t, c in colours.items() if contrast(c, background) < AA}
    assert low == {}


def test_readable_keeps_good_colours_and_fixes_poor_ones() -> None:
    assert readable("#1f2328", "#ffffff") == "#1f2328"
    # the light style's function-name blue, seen on the old dark background: 1.7:1
    assert round(contrast("#0000ff", "#27292d"), 1) == 1.7
    fixed = readable("#0000ff", DARK.code_bg)
    assert contrast(fixed, DARK.code_bg) >= AA
    fixed = readable("#ffff00", "#ffffff")
    assert contrast(fixed, "#ffffff") >= AA


def test_code_is_recoloured_for_the_new_theme(app: QApplication, qtbot: QtBot) -> None:
    apply_theme(app, "light")
    block = CodeBlock("python")
    qtbot.addWidget(block)
    block.extend(["def area(r):\n", "    return 3.14 * r * r\n"], "")
    block.finish()
    block.show()

    def line_colours() -> set[str]:
        first = block.view.document().firstBlock()
        return {r.format.foreground().color().name() for r in first.layout().formats()}

    assert "#0000ff" in line_colours()  # Pygments default's function name, on light
    apply_theme(app, "dark")
    block.restyle()
    low = {c for c in line_colours() if contrast(c, DARK.code_bg) < AA}
    assert low == set() and "#0000ff" not in line_colours()


def test_links_take_the_new_theme_colour(app: QApplication, qtbot: QtBot) -> None:
    apply_theme(app, "light")
    segment = MarkdownSegment()
    qtbot.addWidget(segment)
    segment.set_markdown("See [the docs](https://example.com).")

    def link_colour() -> str:
        cursor = QTextCursor(segment.document())
        cursor.setPosition(6)
        return cursor.charFormat().foreground().color().name()

    assert link_colour() == LIGHT.link
    apply_theme(app, "dark")
    segment.restyle()
    assert link_colour() == DARK.link
    assert contrast(link_colour(), DARK.chat_bg) >= AA


def test_the_current_conversation_is_a_tint_not_a_glaring_block(
    app: QApplication, qtbot: QtBot
) -> None:
    apply_theme(app, "dark")
    view = QListView()
    view.setObjectName("conversationList")
    qtbot.addWidget(view)
    model = QStringListModel(["First chat", "Second chat"])
    view.setModel(model)
    view.resize(260, 120)
    view.show()
    qtbot.waitExposed(view)
    view.setCurrentIndex(model.index(0))
    rect = view.visualRect(model.index(0))
    image = view.viewport().grab().toImage()
    painted = image.pixelColor(rect.right() - 4, rect.center().y())
    assert painted == QColor(DARK.current_bg)
    assert contrast(DARK.text, DARK.current_bg) >= AA
    assert contrast(DARK.current_bg, DARK.sidebar) < 1.5  # a tint of the sidebar


def test_theme_changes_signal_the_new_scheme(app: QApplication, qtbot: QtBot) -> None:
    apply_theme(app, "light")
    with qtbot.waitSignal(theme_changes(app), timeout=1000) as blocker:
        apply_theme(app, "dark")
    assert blocker.args == ["dark"]
    with qtbot.assertNotEmitted(theme_changes(app)):
        apply_theme(app, "dark")  # the scheme shown did not change
