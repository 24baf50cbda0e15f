"""Where the math is in a Markdown text (no Qt): `find_math(text)` -> `MathSpan`s.

Four delimiters, as models write them:

- inline `$...$` and `\\(...\\)`, display `$$...$$` and `\\[...\\]`;
- `$` follows Pandoc's `tex_math_dollars` rules, so prices and shell variables stay text:
  the opening `$` has a non-space character right after it, the closing one a non-space
  character right before it and no digit right after it (`$5 and $10`, `$HOME`, `$ x $`
  are text); `$$...$$` may have spaces inside its delimiters;
- a formula never spans a blank line (a Markdown paragraph ends there), is never empty,
  holds no backtick (a code span binds tighter), and is never found inside a code span,
  a fenced code block, an autolink or a link's destination; a backslash-escaped `\\$` is
  a dollar, an escaped backslash `\\\\(` is no opening delimiter;
- an opening delimiter with no closing one is text (so a formula still streaming in stays
  source until it closes).

Offsets are code-point offsets into `text`: `text[span.start:span.end]` is exactly the
delimiters and the formula (`span.source`), `span.tex` what is between them.
Indented (4-space) code blocks are not recognised: inside a list such a line is the
item's text, which only a full Markdown parse could tell.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

#: The characters the scan stops at; everything else is skipped with one regex search.
_INTERESTING = re.compile(r"[`$\\<\]\n]")
#: A fence line (any indentation, inside block quotes too): its marks.
_FENCE = re.compile(r"[ \t>]*(`{3,}|~{3,})")
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>")
_LINK_DEST = re.compile(r"\]\([^\s()]*\)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

#: Delimiters: (opening, closing, display).
DELIMITERS = {"$": ("$", False), "$$": ("$$", True), "\\(": ("\\)", False), "\\[": ("\\]", True)}


@dataclass(frozen=True, slots=True)
class MathSpan:
    """One formula: `text[start:end] == opening + tex + closing`."""

    start: int
    end: int
    tex: str
    display: bool
    opening: str

    @property
    def closing(self) -> str:
        return DELIMITERS[self.opening][0]

    @property
    def source(self) -> str:
        """The formula as written, delimiters included (what Copy gives)."""
        return self.opening + self.tex + self.closing


def may_have_math(text: str) -> bool:
    """A cheap test: False means `find_math(text)` is surely empty."""
    return "$" in text or "\\(" in text or "\\[" in text


def find_math(text: str) -> list[MathSpan]:
    """Every formula of `text`, in order, never overlapping."""
    if not may_have_math(text):
        return []
    return _Scanner(text).run()


def display_block(text: str) -> MathSpan | None:
    """The display formula that a Markdown block consists of alone (surrounding
    whitespace aside), or None: for a renderer that shows such a block as a math block."""
    spans = find_math(text)
    if len(spans) != 1 or not spans[0].display:
        return None
    span = spans[0]
    if text[: span.start].strip() or text[span.end :].strip():
        return None
    return span


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[MathSpan] = []
        # where each blank line starts: no formula nor code span crosses one
        self.blank = [m.start() + 1 for m in _BLANK_LINE.finditer(text)]
        self._closers: list[int] | None = None  # made on the first inline `$`

    def run(self) -> list[MathSpan]:
        text = self.text
        i = self._skip_fence(0)
        n = len(text)
        while i < n:
            found = _INTERESTING.search(text, i)
            if found is None:
                break
            i = found.start()
            c = text[i]
            if c == "\n":
                i = self._skip_fence(i + 1)
            elif c == "\\":
                i = self._backslash(i)
            elif c == "`":
                i = self._code_span(i)
            elif c == "$":
                i = self._dollar(i)
            elif c == "<":
                link = _AUTOLINK.match(text, i)
                i = link.end() if link else i + 1
            else:  # "]"
                dest = _LINK_DEST.match(text, i)
                i = dest.end() if dest else i + 1
        return self.spans

    # -- blocks ----------------------------------------------------------------------------
    def _skip_fence(self, i: int) -> int:
        """At a line start: past the whole fenced block if one opens here."""
        text = self.text
        fence = _FENCE.match(text, i)
        if fence is None:
            return i
        marks = fence.group(1)
        line_end = text.find("\n", fence.end())
        if marks[0] == "`" and "`" in text[fence.end() : line_end if line_end >= 0 else None]:
            return i  # a backtick fence's info string has no backtick: this is a code span
        closing = re.compile(
            r"\n[ \t>]*" + re.escape(marks[0]) + "{" + str(len(marks)) + r",}[ \t]*(?=\n|$)"
        )
        if line_end < 0:
            return len(text)
        close = closing.search(text, line_end)
        return len(text) if close is None else close.end()

    def _paragraph_end(self, i: int) -> int:
        """Where the paragraph holding offset `i` ends (the next blank line, or the end)."""
        k = bisect_right(self.blank, i)
        return self.blank[k] if k < len(self.blank) else len(self.text)

    # -- inlines ---------------------------------------------------------------------------
    def _backslash(self, i: int) -> int:
        text = self.text
        nxt = text[i + 1 : i + 2]
        if nxt in ("(", "["):
            closing = "\\)" if nxt == "(" else "\\]"
            end = self._find_backslash_close(i + 2, closing)
            if end is not None and text[i + 2 : end].strip():
                self.spans.append(MathSpan(i, end + 2, text[i + 2 : end], nxt == "[", "\\" + nxt))
                return end + 2
            return i + 2
        if nxt and nxt in _PUNCTUATION:
            return i + 2  # an escaped character (`\$`, `\\`, `` \` ``) is only text
        return i + 1

    def _find_backslash_close(self, i: int, closing: str) -> int | None:
        """The offset of `closing` (`\\)` or `\\]`) after `i` in this paragraph; `\\x`
        pairs inside (such as `\\\\`) are skipped as units."""
        text = self.text
        stop = self._stop(i)
        while True:
            j = text.find("\\", i, stop)
            if j < 0 or j + 1 >= stop:
                return None
            if text[j + 1] == closing[1]:
                return j
            i = j + 2

    def _code_span(self, i: int) -> int:
        """Past a code span (a run of n backticks up to the next run of exactly n), or
        past the run when it is not closed in its paragraph."""
        text = self.text
        j = i
        while j < len(text) and text[j] == "`":
            j += 1
        run = j - i
        stop = self._paragraph_end(i)
        k = j
        while True:
            k = text.find("`", k, stop)
            if k < 0:
                return j
            m = k
            while m < stop and text[m] == "`":
                m += 1
            if m - k == run:
                return m
            k = m

    def _dollar(self, i: int) -> int:
        text = self.text
        if text.startswith("$$", i):
            end = self._find_display_close(i + 2)
            if end is not None and text[i + 2 : end].strip():
                self.spans.append(MathSpan(i, end + 2, text[i + 2 : end], True, "$$"))
                return end + 2
            return i + 2
        nxt = text[i + 1 : i + 2]
        if not nxt or nxt.isspace():
            return i + 1
        end = self._find_inline_close(i + 1)
        if end is None:
            return i + 1
        self.spans.append(MathSpan(i, end + 1, text[i + 1 : end], False, "$"))
        return end + 1

    def _stop(self, i: int) -> int:
        """How far a formula starting at `i` may reach: to its paragraph's end, and not
        into a code span (no formula holds a backtick: code spans bind tighter)."""
        stop = self._paragraph_end(i)
        tick = self.text.find("`", i, stop)
        return stop if tick < 0 else tick

    def _find_display_close(self, i: int) -> int | None:
        text = self.text
        stop = self._stop(i)
        while True:
            j = _next_unescaped(text, "$", i, stop)
            if j is None:
                return None
            if text.startswith("$$", j) and j + 2 <= stop:
                return j
            i = j + 1

    def _find_inline_close(self, i: int) -> int | None:
        """The closing `$` of an inline formula whose text starts at `i` (Pandoc's rule:
        a non-space before it, no digit after it)."""
        if self._closers is None:
            self._closers = self._inline_closers()
        k = bisect_right(self._closers, i)  # a closer at `i` would leave the formula empty
        if k == len(self._closers):
            return None
        j = self._closers[k]
        return j if j < self._stop(i) else None

    def _inline_closers(self) -> list[int]:
        """Every `$` that may close an inline formula, in one pass (so a text full of
        prices costs one scan, not one per dollar)."""
        text = self.text
        found: list[int] = []
        j = text.find("$", 1)
        while j >= 0:
            after = text[j + 1 : j + 2]
            if (
                not text[j - 1].isspace()
                and not (after.isdigit() and after.isascii())
                and not _escapes(text, 0, j)
            ):
                found.append(j)
            j = text.find("$", j + 1)
        return found


def _next_unescaped(text: str, char: str, i: int, stop: int) -> int | None:
    """The next `char` in `text[i:stop]` not escaped by a backslash (`\\x` pairs are
    units: in `\\\\$` the dollar counts)."""
    while True:
        j = text.find(char, i, stop)
        if j < 0:
            return None
        if not _escapes(text, i, j):
            return j
        i = j + 1


def _escapes(text: str, i: int, j: int) -> bool:
    """Is `text[j]` escaped, reading backslash pairs from `i` on?"""
    count = 0
    k = j - 1
    while k >= i and text[k] == "\\":
        count += 1
        k -= 1
    return count % 2 == 1
