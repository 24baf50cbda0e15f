"""After a theme change: tell every widget that fixed colours when it rendered.

The palette and stylesheet restyle widgets by themselves; a few do not: a Markdown segment
(link colours and formula images are fixed when its text is rendered), a plain segment
(formula images) and a code block (its highlighter's formats). Each has a `restyle()`.
`restyle_tree(root)` calls it on every such widget under `root`; connect it to
`desktop.theme.theme_changes(app)`:

    theme_changes(app).connect(lambda _scheme: restyle_tree(window))
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QWidget

from desktop.views.code_block import CodeBlock
from desktop.views.segments import MarkdownSegment


def restyle_tree(root: QWidget) -> tuple[int, float]:
    """`restyle()` every segment and code block under `root`; (widgets, seconds)."""
    started = time.perf_counter()
    widgets: list[MarkdownSegment | CodeBlock] = [
        *root.findChildren(MarkdownSegment),  # PlainSegment too
        *root.findChildren(CodeBlock),
    ]
    for widget in widgets:
        widget.restyle()
    return len(widgets), time.perf_counter() - started
