"""Text from the backend, a model or an upstream, shown without ever being interpreted.

A `QLabel` in its default `AutoText` mode, a tooltip and a `QMessageBox` all guess: text
that looks like HTML (`Qt.mightBeRichText`) is rendered as rich text, so an upstream error
`<img src="/home/user/photo.png">` would make the window read that file, and `<img
width=20000 height=20000>` would make it allocate gigabytes. Every widget that shows such
text goes through here: labels get `Qt.TextFormat.PlainText`, tooltips are escaped.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QLabel, QMessageBox

Shown = TypeVar("Shown", QLabel, QMessageBox)


def plain(widget: Shown) -> Shown:
    """`widget` (a label or a message box) showing its text as plain text, as it is."""
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def tooltip(text: str) -> str:
    """A tooltip that shows `text` literally ("" stays "", i.e. no tooltip).

    Tooltips have no text-format setting: they are rich text whenever the text looks like
    HTML. So the text is escaped and wrapped in a paragraph, which makes it rich text that
    says exactly `text` (line breaks kept).
    """
    if not text:
        return ""
    return str(QtGuiNamespace.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal))
