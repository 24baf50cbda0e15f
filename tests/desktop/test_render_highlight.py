"""Pygments styles through `Palette`: every token type a lexer emits gets a format."""

from __future__ import annotations

from pygments.lexers import get_lexer_by_name
from pygments.token import Token

from desktop.render.highlight import Palette


def test_listed_token_types_keep_their_style() -> None:
    keyword = Palette("default").format(Token.Keyword)
    assert keyword.fontWeight() == 700
    assert keyword.foreground().color().name() == "#008000"


def test_token_types_the_style_does_not_list_fall_back_to_their_parent() -> None:
    palette = Palette("default")
    # Some SQL lexers emit Name.Quoted, which the default style does not list: that raised
    # KeyError inside the chat view's update slot.
    quoted = palette.format(Token.Name.Quoted)
    assert quoted.foreground() == palette.format(Token.Name).foreground()
    sql = 'SELECT "quoted name", `other` FROM t'
    for lexer in ("sql", "mysql", "postgresql"):
        for ttype, _ in get_lexer_by_name(lexer).get_tokens(sql):
            palette.format(ttype)
