"""Where a reply's reasoning comes from (PROTOCOL.md section 8), for every responder.

A responder yields text (`str` or `Part("text", ...)`), reasoning it got apart
(`Part("reasoning", ...)`, e.g. from `delta.reasoning_content`) and `Usage`.
`ReplySplitter` turns that into the reply's parts, also taking reasoning out of the text
when the text starts with `<think>...</think>` (or `<thinking>...</thinking>`), the tags
possibly split anywhere across chunks (`ThinkTagParser`). Pure code: no I/O, no asyncio.
"""

from __future__ import annotations

from typing import Literal

from backend.records import Part
from backend.responders import Chunk, Usage

#: Opening tags recognised at the start of the text, and the tag that closes each.
CLOSING: dict[str, str] = {"<think>": "</think>", "<thinking>": "</thinking>"}

_State = Literal["start", "reasoning", "after", "text"]


def _held_back(buffer: str, tag: str) -> int:
    """How many code points at the end of `buffer` could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(buffer)), 0, -1):
        if buffer.endswith(tag[:size]):
            return size
    return 0


class ThinkTagParser:
    """Splits a stream of text into reasoning and text, chunk by chunk.

    Only a tag at the start of the text counts (whitespace before it is dropped); the
    text between it and its closing tag is reasoning, exactly, and the text after the
    closing tag is the answer (its leading whitespace dropped, as models put a blank line
    there). Text that can still turn out to be a tag is held back until it is decided; a
    reply that ends inside its reasoning keeps it as reasoning. The tags are in neither.
    """

    def __init__(self) -> None:
        self._state: _State = "start"
        self._buffer = ""
        self._closing = ""

    def feed(self, text: str) -> list[Part]:
        """The parts that `text` (the next chunk) settles, in order."""
        self._buffer += text
        out: list[Part] = []
        while self._buffer:
            if self._state == "text":
                out.append(Part("text", self._buffer))
                self._buffer = ""
            elif self._state == "start":
                if not self._start():
                    break
            elif self._state == "reasoning":
                if not self._reasoning(out):
                    break
            else:  # after the closing tag: drop the whitespace before the answer
                stripped = self._buffer.lstrip()
                self._buffer = stripped
                if stripped:
                    self._state = "text"
        return out

    @property
    def passing(self) -> bool:
        """True once the text has begun: every later chunk is text as it is."""
        return self._state == "text"

    def end(self) -> list[Part]:
        """What is left once the stream has ended."""
        held, self._buffer = self._buffer, ""
        state, self._state = self._state, "text"
        if not held or state == "after":
            return []
        return [Part("reasoning" if state == "reasoning" else "text", held)]

    def _start(self) -> bool:
        """Decide whether the text opens with a tag; False while it cannot be told yet."""
        stripped = self._buffer.lstrip()
        if not stripped:
            return False
        for tag, closing in CLOSING.items():
            if stripped.startswith(tag):
                self._state, self._closing = "reasoning", closing
                self._buffer = stripped[len(tag) :]
                return True
        if any(tag.startswith(stripped) for tag in CLOSING):
            return False  # a tag still being written
        self._state = "text"
        return True

    def _reasoning(self, out: list[Part]) -> bool:
        """Emit reasoning up to the closing tag (or what surely precedes it)."""
        index = self._buffer.find(self._closing)
        if index >= 0:
            if index:
                out.append(Part("reasoning", self._buffer[:index]))
            self._buffer = self._buffer[index + len(self._closing) :]
            self._state = "after"
            return True
        keep = _held_back(self._buffer, self._closing)
        settled = len(self._buffer) - keep
        if settled:
            out.append(Part("reasoning", self._buffer[:settled]))
            self._buffer = self._buffer[settled:]
        return False


class ReplySplitter:
    """A responder's chunks in, the reply's parts out (not yet merged); keeps the usage.

    Once `passing` is True, a `str` chunk is answer text as it is: a caller may take it
    without `feed` (the hot path of a long answer).
    """

    def __init__(self) -> None:
        self._tags = ThinkTagParser()
        self.usage: Usage | None = None

    @property
    def passing(self) -> bool:
        return self._tags.passing

    def feed(self, chunk: Chunk) -> list[Part]:
        if isinstance(chunk, Usage):
            self.usage = chunk
            return []
        if isinstance(chunk, str):
            return self._tags.feed(chunk) if chunk else []
        if chunk.type == "text":
            return self._tags.feed(chunk.text)
        return [chunk] if chunk.text else []

    def end(self) -> list[Part]:
        return self._tags.end()


def split_text(text: str) -> tuple[str, str]:
    """A whole text's (reasoning, answer), e.g. a non-streamed completion's content."""
    parser = ThinkTagParser()
    parts = parser.feed(text) + parser.end()
    reasoning = "".join(p.text for p in parts if p.type == "reasoning")
    return reasoning, "".join(p.text for p in parts if p.type == "text")
