"""`MarkdownSplitter`: turns a growing Markdown text into segments, incrementally (no Qt).

A reply streams in as appended text. The splitter scans each *complete* line once and
cuts the text into segments:

- `markdown` blocks that can no longer change: a block ends at a blank line (outside a
  code fence) once the next non-blank line shows that a new block starts there;
- `code` blocks: a fenced block (```` ``` ```` or ``~~~``) with its language and its code
  lines, `closed` once the closing fence arrives (an open one keeps growing line by line).

What is after the last cut is the open tail (`tail`): Markdown text still growing, or
(inside an open fence) the incomplete last code line (`partial_code`).

The cost of `feed` is proportional to the appended text (plus the current line), never
to the text already consumed. Segments depend only on the text, not on how it was
chunked: feeding it whole or in pieces gives the same segments and the same tail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

#: A block longer than this is cut at the next safe place even inside a loose list, so
#: one long list cannot make the tail (re-rendered every frame) grow without bound.
BLOCK_CAP = 2000

_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}|~{3,})([^\n]*)$")
_LIST_ITEM = re.compile(r"^(?:[-+*]|[0-9]{1,9}[.)])(?:[ \t]|$)")
_FENCE_PREFIX = re.compile(r"^ {0,3}(`*|~*)$")

Kind = Literal["markdown", "code"]


@dataclass(slots=True)
class Segment:
    """One piece of a message. `start`/`end` are offsets into the whole text (`end` grows
    while an open code block grows); `lines` holds a code block's complete code lines."""

    kind: Kind
    start: int
    end: int
    text: str = ""  # markdown: the block's source
    lang: str = ""  # code: the fence's info string, first word
    lines: list[str] = field(default_factory=list)  # code: complete lines, with "\n"
    closed: bool = True

    @property
    def code(self) -> str:
        return "".join(self.lines)


def is_list_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line))


def may_be_fence(line: str) -> bool:
    """True for an incomplete line that could still become a closing fence."""
    return bool(_FENCE_PREFIX.match(line))


class MarkdownSplitter:
    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self._buf = ""  # unconsumed text from `_base` on: the open block, or a partial line
        self._base = 0  # offset of `_buf[0]` in the whole text
        self._scan = 0  # index in `_buf` of the first line not scanned yet
        self._has_content = False  # the open markdown block has a non-blank line
        self._blank_at = -1  # index in `_buf` of the first blank line after content
        self._is_list = False  # the open markdown block started with a list item
        self._fence: tuple[str, int, int] | None = None  # (char, length, indent) when open

    # -- state ---------------------------------------------------------------------------
    @property
    def length(self) -> int:
        """Characters fed so far."""
        return self._base + len(self._buf)

    @property
    def in_code(self) -> bool:
        return self._fence is not None

    @property
    def tail(self) -> str:
        """The open Markdown text after the last cut ("" inside an open fence)."""
        return "" if self._fence is not None else self._buf

    @property
    def partial_code(self) -> str:
        """Inside an open fence: the incomplete last line (dedented), unless it may
        still turn into the closing fence."""
        if self._fence is None or may_be_fence(self._buf):
            return ""
        return self._dedent(self._buf)

    # -- feeding -------------------------------------------------------------------------
    def feed(self, text: str) -> None:
        if not text:
            return
        self._buf += text
        buf = self._buf
        while True:
            nl = buf.find("\n", self._scan)
            if nl < 0:
                break
            start = self._scan
            self._scan = nl + 1
            self._line(buf, start, nl + 1)
            buf = self._buf  # a cut trims the buffer

    def _line(self, buf: str, start: int, end: int) -> None:
        line = buf[start : end - 1]
        if self._fence is not None:
            self._code_line(line, start, end)
            return
        blank = not line.strip()
        if blank:
            if self._has_content and self._blank_at < 0:
                self._blank_at = start
            return
        fence = _FENCE_OPEN.match(line)
        if fence is not None and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            stop = self._base + end  # absolute: the cut may trim the buffer
            self._cut(start)  # a fence interrupts any paragraph
            indent, marks, info = fence.groups()
            words = info.strip().split()
            lang = words[0] if words else ""
            self.segments.append(Segment("code", self._base, stop, lang=lang, closed=False))
            self._fence = (marks[0], len(marks), len(indent))
            self._trim(stop - self._base)
            return
        if self._blank_at >= 0 and self._should_cut(line, start):
            self._cut(start)
        if not self._has_content:
            self._has_content = True
            self._is_list = is_list_item(line)
        elif self._is_list and start > BLOCK_CAP and is_list_item(line):
            self._cut(start)  # a long tight list: cut between items
            self._has_content = True
            self._is_list = True
        self._blank_at = -1

    def _should_cut(self, line: str, start: int) -> bool:
        """After a blank line, does `line` start a new block?"""
        if line[0] in " \t":
            return False  # a continuation (list item paragraph, indented code)
        if self._is_list and is_list_item(line):
            return start > BLOCK_CAP  # the next item of a loose list
        return True

    def _code_line(self, line: str, start: int, end: int) -> None:
        assert self._fence is not None
        seg = self.segments[-1]
        char, length, _indent = self._fence
        stripped = line.strip()
        closing = (
            len(line) - len(line.lstrip(" ")) <= 3
            and len(stripped) >= length
            and stripped == char * len(stripped)
        )
        if closing:
            seg.closed = True
            self._fence = None
        else:
            seg.lines.append(self._dedent(line) + "\n")
        seg.end = self._base + end
        self._trim(end)

    def _dedent(self, line: str) -> str:
        indent = self._fence[2] if self._fence is not None else 0
        spaces = len(line) - len(line.lstrip(" "))
        return line[min(indent, spaces) :]

    def _cut(self, at: int) -> None:
        """Close the open markdown block at `_buf[at]` (if it has content)."""
        if self._has_content and at > 0:
            text = self._buf[:at]
            self.segments.append(Segment("markdown", self._base, self._base + at, text=text))
            self._trim(at)
        self._has_content = False
        self._is_list = False
        self._blank_at = -1

    def _trim(self, n: int) -> None:
        self._buf = self._buf[n:]
        self._base += n
        self._scan -= n
