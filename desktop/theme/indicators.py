"""Images the stylesheet draws with: the tick of a checked checkbox, a combo box's chevron.

A stylesheet that styles `QCheckBox::indicator` or a `QComboBox`'s frame draws the box itself
and nothing in it, so the tick and the arrow have to be images (`image: url(...)`), and Qt
reads such images from files only. Each is drawn in a colour of the scheme: its SVG is
written, once per shape and colour, to a folder of this process's own (private to the user,
removed at exit).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="14" height="14" viewBox="0 0 14 14">'
    '<path d="{path}" fill="none" stroke="{color}" stroke-width="{width}"'
    ' stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
#: The shapes: (path, stroke width), on a 14 x 14 grid.
SHAPES = {
    "tick": ("M3 7.2 L5.8 10 L11 4.2", 2),
    "chevron": ("M2.5 5 L7 9.5 L11.5 5", 1.8),
}


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="sse-chat-style-"))  # mode 0700
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def shape_image(shape: str, color: str) -> str:
    """The path of `shape` (one of `SHAPES`) drawn in `color` (`#rrggbb`), for `url()`."""
    path_data, width = SHAPES[shape]
    path = _folder() / f"{shape}-{color.lstrip('#')}.svg"
    path.write_text(_SVG.format(path=path_data, color=color, width=width), encoding="utf-8")
    path.chmod(0o600)
    return path.as_posix()


def images_for(accent_text: str, muted: str) -> dict[str, str]:
    """The stylesheet's image names: `$tick_image` (on the accent), `$chevron_image`."""
    return {
        "tick_image": shape_image("tick", accent_text),
        "chevron_image": shape_image("chevron", muted),
    }
