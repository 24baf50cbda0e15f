"""A streaming reader of one JSON document: the items of its list, one at a time.

`JsonItems` is fed the body's bytes as they arrive and hands out each element of the
top-level array (a ChatGPT `conversations.json`), or of the array under `items_key` of a
top-level object (our own export), as soon as it is complete; the object's other members are
kept in `header`. Only the current item is held: memory is bounded by the largest item
(`max_item_chars`, else `ItemTooLarge`), never by the document.

Each item is parsed by the standard library's C decoder (`json.JSONDecoder.raw_decode`):
measured on a 50 MB ChatGPT-shaped file, 75 MB/s against ijson's yajl2 C backend's 25 MB/s
for its `items()` alone. An item cut by a chunk boundary is tried again once the text waiting
has doubled, so a large item is parsed a bounded number of times (amortised linear).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from enum import Enum, auto
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
#: A string, or a bracket: enough to find where a too deeply nested value ends.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
#: A decode error this close to the end of the text may just be the text being cut.
_NEAR_END = 8


class NotJson(ValueError):
    """The body is not one well-formed JSON document of the expected outline."""


class ItemTooLarge(ValueError):
    """One item of the document is larger than the reader holds."""


class TooDeep:
    """Stands for an item nested too deeply for the decoder (skipped; the rest is read)."""


def _end_of_value(text: str, start: int) -> int | None:
    """Where the array or object at `start` ends, found without recursion (None: not yet)."""
    depth = 0
    for token in _TOKEN.finditer(text, start):
        kind = token.group()
        if kind in "[{":
            depth += 1
        elif kind in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    return None


class _State(Enum):
    START = auto()
    LIST_FIRST = auto()
    LIST_ITEM = auto()
    LIST_AFTER = auto()
    KEY_FIRST = auto()
    KEY_NEXT = auto()
    KEY = auto()
    COLON = auto()
    ITEMS_OPEN = auto()
    VALUE = auto()
    AFTER_VALUE = auto()
    END = auto()


_NEED = object()  # not enough text yet
_NOTHING = object()  # a step that completed no item


class JsonItems:
    """`feed(bytes)` / `close()`, and `items()` after each: the items completed so far."""

    def __init__(self, items_key: str, max_item_chars: int) -> None:
        self.items_key = items_key
        self.max_item_chars = max_item_chars
        #: "list" (a top-level array) or "object", once the first character was read.
        self.kind: str | None = None
        #: The top-level object's members other than its `items_key` array.
        self.header: dict[str, Any] = {}
        #: Whether the object had an array under `items_key`.
        self.saw_items = False
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")("strict")  # drops a BOM
        self._decoder = json.JSONDecoder()
        self._text = ""
        self._pos = 0
        self._waiting: list[str] = []
        self._waiting_chars = 0
        self._retry_at = 0
        self._eof = False
        self._state = _State.START
        self._key = ""
        self._nested = False

    # -- input ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        try:
            text = self._utf8.decode(data)
        except UnicodeDecodeError:
            raise NotJson("The file is not valid UTF-8") from None
        if text:
            self._waiting.append(text)
            self._waiting_chars += len(text)

    def close(self) -> None:
        self.feed(b"")
        try:
            self._utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            raise NotJson("The file is not valid UTF-8 (it ends inside a character)") from None
        self._eof = True

    @property
    def finished(self) -> bool:
        """The document ended properly (only meaningful after `close()` and `items()`)."""
        return self._state is _State.END

    # -- the text ------------------------------------------------------------------------

    def _take_waiting(self, force: bool = False) -> None:
        unread = len(self._text) - self._pos
        if self._waiting and (force or self._eof or unread + self._waiting_chars >= self._retry_at):
            self._text = self._text[self._pos :] + "".join(self._waiting)
            self._pos = 0
            self._waiting, self._waiting_chars = [], 0

    def _char(self) -> str | None:
        """The next character that is not white space (not consumed), or None for now."""
        while True:
            blank = _WS.match(self._text, self._pos)
            self._pos = blank.end() if blank is not None else self._pos
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._waiting:
                return None
            self._take_waiting(force=True)

    def _value(self) -> Any:
        self._take_waiting()
        text, start = self._text, self._pos
        unread = len(text) - start
        if not self._eof and unread < self._retry_at:
            return _NEED
        try:
            value, end = self._decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            cut = exc.pos >= len(text) - _NEAR_END or exc.msg.startswith("Unterminated string")
            if self._eof or not cut:
                raise NotJson(f"The file is not valid JSON ({exc.msg})") from None
            return self._wait_for_more(unread)
        except ValueError as exc:  # an integer over Python's 4,300-digit limit
            raise NotJson(f"The file holds a number too long to read ({exc})") from None
        except RecursionError:
            end_of_item = _end_of_value(text, start) if self._state is _State.LIST_ITEM else None
            if end_of_item is None:
                if self._eof or self._state is not _State.LIST_ITEM:
                    raise NotJson("The file is nested too deeply to be read") from None
                return self._wait_for_more(unread)
            self._pos, self._retry_at = end_of_item, 0
            return TooDeep()
        if len(text) - end < _NEAR_END and not self._eof and isinstance(value, (int, float)):
            return self._wait_for_more(unread, _NEAR_END)  # a number may go on ("1" of "1e9")
        self._pos, self._retry_at = end, 0
        return value

    def _wait_for_more(self, unread: int, at_least: int = 1) -> Any:
        if unread > self.max_item_chars:
            raise ItemTooLarge(f"An item of the file is over {self.max_item_chars:,} characters")
        self._retry_at = max(unread * 2, unread + at_least)
        return _NEED

    # -- the outline ---------------------------------------------------------------------

    def items(self) -> Iterator[Any]:
        """Yield every item completed by the text fed so far; raise `NotJson` on a flaw."""
        while True:
            step = self._step()
            if step is _NEED:
                if self._eof and self._state is not _State.END:
                    raise NotJson("The file ends before its JSON document does")
                return
            if step is not _NOTHING:
                yield step

    def _step(self) -> Any:
        """Advance by one token; the item if one completed, `_NEED`, or `_NOTHING`."""
        state = self._state
        if state in (_State.LIST_ITEM, _State.KEY, _State.VALUE):
            return self._read_value(state)
        char = self._char()
        if char is None:
            return _NEED
        if state is _State.END:
            raise NotJson("The file goes on after its JSON document")
        if state is _State.START:
            if char in "[{":
                self.kind = "list" if char == "[" else "object"
                self._state = _State.LIST_FIRST if char == "[" else _State.KEY_FIRST
                self._pos += 1
                return _NOTHING
            raise NotJson("The file is neither a JSON list nor a JSON object")
        expected = {
            _State.LIST_FIRST: "]",
            _State.LIST_AFTER: ",]",
            _State.KEY_FIRST: '}"',
            _State.KEY_NEXT: '"',
            _State.COLON: ":",
            _State.AFTER_VALUE: ",}",
        }.get(state)
        if state is _State.ITEMS_OPEN:
            if char == "[":
                self._pos += 1
                self._nested, self.saw_items = True, True
                self._state = _State.LIST_FIRST
            else:
                self._state = _State.VALUE
            return _NOTHING
        assert expected is not None
        if state is _State.LIST_FIRST and char != "]":
            self._state = _State.LIST_ITEM
            return _NOTHING
        if state in (_State.KEY_FIRST, _State.KEY_NEXT) and char == '"':
            self._state = _State.KEY
            return _NOTHING
        if char not in expected:
            raise NotJson(f"The file is not valid JSON (unexpected {char!r})")
        self._pos += 1
        self._state = self._after_punctuation(state, char)
        return _NOTHING

    def _after_punctuation(self, state: _State, char: str) -> _State:
        if char == "]":
            nested, self._nested = self._nested, False
            return _State.AFTER_VALUE if nested else _State.END
        if char == "}":
            return _State.END
        if char == ",":
            return _State.LIST_ITEM if state is _State.LIST_AFTER else _State.KEY_NEXT
        # ":" after a key
        return _State.ITEMS_OPEN if self._key == self.items_key else _State.VALUE

    def _read_value(self, state: _State) -> Any:
        if self._char() is None:
            return _NEED
        value = self._value()
        if value is _NEED:
            return _NEED
        if state is _State.LIST_ITEM:
            self._state = _State.LIST_AFTER
            return value
        if state is _State.KEY:
            self._key = value
            self._state = _State.COLON
            return _NOTHING
        self.header[self._key] = value
        self._state = _State.AFTER_VALUE
        return _NOTHING
