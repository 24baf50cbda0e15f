"""`OpenGroup`: the group of stable blocks of text that a reply's next block joins.

Stable Markdown blocks are not shown one widget each: consecutive blocks share one group
widget of about `GROUP_CHARS` characters. A group is rendered (as a whole) when blocks
joined it - at most once per pass - and once full it is *sealed*: never rendered again.

A group counts its blocks whether they are shown or still held in a lazy page, so it
ends at the same block either way: which widgets a reply has depends only on its text,
not on when a page came into view.
"""

from __future__ import annotations

from desktop.views.segments import MarkdownSegment

#: A group of stable blocks is sealed once it holds this many characters.
GROUP_CHARS = 3000


class OpenGroup:
    def __init__(self) -> None:
        #: The widget showing the group (None while its blocks are held in a lazy page).
        self.widget: MarkdownSegment | None = None
        self._parts: list[str] = []
        self._length = 0
        self._dirty = False

    def hold(self, text: str) -> bool:
        """A block joins the group but waits in a lazy page; True: the group is full
        (it ends with this block)."""
        self._length += len(text)
        return self._length >= GROUP_CHARS

    def add(self, text: str) -> bool:
        """A block joins the group, shown in `widget` (which the caller made); True: the
        group is full."""
        self._parts.append(text)
        self._dirty = True
        return self.hold(text)

    def render(self) -> None:
        """Show the blocks that joined since the last render."""
        if self.widget is not None and self._dirty:
            self.widget.set_markdown("".join(self._parts))
            self._dirty = False

    def seal(self) -> None:
        """The group ends here (rendered as it stands); the next block starts a new one."""
        self.render()
        self.widget = None
        self._parts = []
        self._length = 0
        self._dirty = False
