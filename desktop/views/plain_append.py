"""Growing rendered Markdown by plain words without rendering it again (issue 14: the CPU
of a stream at a realistic pace).

A streaming reply's open tail grows by a few characters per update; rendering it anew
(`setMarkdown`, a layout and a paint of the whole tail) for each costs most of what the
window spends on a stream. When the new characters are plain words that continue the last
line's text, the full render would give the same document with those characters appended
to its last text run: `append_plain` inserts them at the end instead, so only the last line
is laid out and painted again.

It does so only where that is certain (else it returns False and the caller renders):

- the new characters are letters, digits, spaces and `,.;:!?'"` (no line break, no
  character that Markdown gives a meaning: `*_`[]()<>!#$&\\|~` and the rest);
- the line being written has a settled beginning: a letter, or a list item, heading or
  quote marker and then a letter (so it cannot turn into a list item, a rule, a code block),
  and the text holds no code fence;
- each word the new characters touch is letters and digits with closing punctuation only
  (so no emphasis delimiter is re-flanked, no entity or autolink `www.x`, `a@b.c` forms);
- the document's last text ends with the line's last word as typed and is not a link.

Trailing spaces, which Markdown drops at the end of a text, are inserted once more text
follows them, as a full render would show them.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QTextCursor, QTextDocument

PLAIN_PUNCTUATION = ",.;:!?'\""
_PLAIN_SIGNS = frozenset(" " + PLAIN_PUNCTUATION)
_WORD = re.compile(r"[^\W_]+[,.;:!?'\"]*")
#: The start of a line whose kind of block cannot change as it grows.
_SETTLED_LINE = re.compile(r" {0,3}(?:(?:[-+*]|[0-9]{1,9}[.)]|#{1,6}|>) +)?[^\W\d_]")


def appendable(old: str, new: str) -> bool:
    """Whether Markdown `old + new` renders as `old` with `new` (less trailing spaces)
    appended to its last text run (see the module's rules; the document is checked by
    `append_plain`)."""
    if not old or not new or not all(c.isalnum() or c in _PLAIN_SIGNS for c in new):
        return False
    line = old[old.rfind("\n") + 1 :]
    if not _SETTLED_LINE.match(line) or "```" in old or "~~~" in old:  # (code keeps spaces)
        return False
    body = line.rstrip(" ")
    touched = body.rsplit(" ", 1)[-1] + line[len(body) :] + new
    return all(not word or _WORD.fullmatch(word) for word in touched.split(" "))


def append_plain(document: QTextDocument, old: str, new: str) -> bool:
    """Show Markdown `old + new` in `document` (which shows `old`) by appending `new`, if
    that gives what rendering it would; False (the document untouched) otherwise."""
    if not appendable(old, new):
        return False
    line = old[old.rfind("\n") + 1 :]
    body = line.rstrip(" ")
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    if cursor.charFormat().isAnchor() or not cursor.block().text().endswith(
        body.rsplit(" ", 1)[-1]
    ):
        return False
    text = (line[len(body) :] + new).rstrip(" ")
    if text:
        cursor.insertText(text)
    return True
