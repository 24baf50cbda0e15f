"""Syntax highlighting of code blocks with Pygments, as Qt character formats.

`CodeHighlighter` is a `QSyntaxHighlighter`: it colours a line when it is laid out, so
appending code to a growing block costs the new lines only. While a block streams, each
line is lexed on its own; once it is complete, `finish()` lexes the whole block once (for
constructs that span lines, such as multi-line strings) and re-colours it. The document
text is never touched: copying gives exactly the code.

The colours are the current theme's (`palette(dark)`: its Pygments style, each colour made
to reach WCAG AA on its code background); the lexed spans keep token types, not formats,
so `restyle(dark)` re-colours a block for the other theme without lexing it again.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name, guess_lexer  # type: ignore[import-untyped]
from pygments.styles import get_style_by_name  # type: ignore[import-untyped]
from pygments.token import Token, _TokenType  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from desktop.render.contrast import readable

log = logging.getLogger(__name__)

#: Only this much of an unlabelled block is looked at to guess its language.
GUESS_CHARS = 4000
#: A block longer than this is not re-lexed as a whole when it ends.
WHOLE_LEX_LIMIT = 200_000


@lru_cache(maxsize=64)
def lexer_for(lang: str) -> Lexer | None:
    """The Pygments lexer for a fence's language name, or None when unknown."""
    if not lang:
        return None
    try:
        return get_lexer_by_name(lang.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


#: Languages whose lexers `warm_up` prepares (Pygments compiles a lexer's rules on first use).
COMMON_LANGS = ("python", "javascript", "typescript", "bash", "json", "c", "cpp", "java", "go")


def warm_up(langs: tuple[str, ...] = COMMON_LANGS) -> None:
    """Prepare common lexers (meant for a background thread at start-up), so the first
    code block of a reply does not pay for compiling its lexer on the GUI thread."""
    for lang in langs:
        lexer = lexer_for(lang)
        if lexer is not None:
            for _token in lexer.get_tokens_unprocessed("x = 1\n"):
                pass


def start_warm_up() -> None:
    """`warm_up` on a daemon thread (once per process)."""
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=warm_up, name="lexer-warm-up", daemon=True)
        _warming.start()


_warming: threading.Thread | None = None


def guess_lexer_for(code: str) -> Lexer | None:
    """A lexer guessed from the code (None when Pygments only finds plain text)."""
    sample = code[:GUESS_CHARS]
    if not sample.strip():
        return None
    try:
        lexer = guess_lexer(sample, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    return None if lexer.name == "Text only" else lexer


def lexer_name(lexer: Lexer | None) -> str:
    return "" if lexer is None else str(lexer.aliases[0] if lexer.aliases else lexer.name)


class Palette:
    """Pygments style -> `QTextCharFormat` per token type (cached). With `background`,
    each colour is made to reach WCAG AA on it (`readable`: the nearest colour in hue)."""

    def __init__(self, style: str, background: str | None = None) -> None:
        self.style = get_style_by_name(style)
        self.background = background
        self._formats: dict[_TokenType, QTextCharFormat] = {}

    def format(self, ttype: _TokenType) -> QTextCharFormat:
        fmt = self._formats.get(ttype)
        if fmt is None:
            fmt = QTextCharFormat()
            spec = self._spec(ttype)
            if spec["color"]:
                fmt.setForeground(QColor(self.colour(spec["color"])))
            if spec["bold"]:
                fmt.setFontWeight(QFont.Weight.Bold)
            if spec["italic"]:
                fmt.setFontItalic(True)
            self._formats[ttype] = fmt
        return fmt

    def colour(self, pygments_colour: str) -> str:
        """A style's colour (`rrggbb`) as shown: `#rrggbb`, readable on the background."""
        colour = f"#{pygments_colour.lstrip('#')}"
        return colour if self.background is None else readable(colour, self.background)

    def _spec(self, ttype: _TokenType) -> dict[str, Any]:
        """The style of `ttype`, or of its nearest ancestor the style lists: lexers emit
        token types that a style may not know (SQL's `Name.Quoted`), which raise KeyError."""
        while True:
            try:
                return dict(self.style.style_for_token(ttype))
            except KeyError:
                if ttype.parent is None:
                    return {"color": None, "bold": False, "italic": False}
                ttype = ttype.parent


@lru_cache(maxsize=4)
def palette(dark: bool) -> Palette:
    """The code colours of the light or dark theme: its Pygments style (`code_style`) made
    readable on its code background (`code_bg`), from `desktop.theme`'s tokens."""
    from desktop.theme import SCHEMES

    colors = SCHEMES["dark" if dark else "light"]
    return Palette(colors.code_style, colors.code_bg)


#: (start, length, token type): formats are looked up when a line is coloured, so a
#: theme change re-colours a block (`CodeHighlighter.restyle`) without lexing it again.
TokenSpans = list[tuple[int, int, _TokenType]]


def spans_of(lexer: Lexer, text: str) -> TokenSpans:
    """(start, length, token type) for each coloured token of `text`."""
    spans: TokenSpans = []
    for start, ttype, value in lexer.get_tokens_unprocessed(text):
        if value and ttype not in (Token.Text, Token.Text.Whitespace):
            spans.append((start, len(value), ttype))
    return spans


def split_lines(lexer: Lexer, code: str) -> list[TokenSpans]:
    """The spans of `code` lexed as a whole, per line (columns relative to the line)."""
    lines: list[TokenSpans] = [[]]
    col = 0
    for _start, ttype, value in lexer.get_tokens_unprocessed(code):
        coloured = ttype not in (Token.Text, Token.Text.Whitespace)
        for k, part in enumerate(value.split("\n")):
            if k:
                lines.append([])
                col = 0
            if part and coloured:
                lines[-1].append((col, len(part), ttype))
            col += len(part)
    return lines


class CodeHighlighter(QSyntaxHighlighter):
    def __init__(
        self, document: QTextDocument, lexer: Lexer | None, dark: bool, live: bool = True
    ) -> None:
        super().__init__(document)
        self.lexer = lexer
        self.colours = palette(dark)
        #: Colour each line as it arrives; False for a block that is complete when it is
        #: first shown (only `finish()` colours it, so no line is lexed twice).
        self.live = live
        self._lines: list[TokenSpans] | None = None  # whole-block spans per line (finish)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if self.lexer is None:
            return
        if self._lines is not None:
            number = self.currentBlock().blockNumber()
            spans = self._lines[number] if number < len(self._lines) else []
        elif self.live:
            spans = spans_of(self.lexer, text)
        else:
            return
        colours = self.colours
        for start, length, ttype in spans:
            self.setFormat(start, length, colours.format(ttype))

    def finish(self, code: str, lexer: Lexer | None) -> None:
        """The block is complete: colour it as a whole with `lexer` (maybe guessed)."""
        self.lexer = lexer
        if lexer is None or len(code) > WHOLE_LEX_LIMIT:
            self._lines = None
            self.live = True
            self.rehighlight()
            return
        self._lines = split_lines(lexer, code)
        self.rehighlight()

    def restyle(self, dark: bool) -> None:
        """Use the light or dark theme's code colours from now on (re-colours what is
        coloured already; nothing is lexed again for a block coloured as a whole)."""
        colours = palette(dark)
        if colours is not self.colours:
            self.colours = colours
            if self.lexer is not None and (self.live or self._lines is not None):
                self.rehighlight()
