"""Images the stylesheet draws with: the tick of a checked checkbox.

A stylesheet that styles `QCheckBox::indicator` draws the box itself and nothing in it, so the
tick has to be an image (`image: url(...)`), and Qt reads such images from files only. The tick
is drawn in the scheme's `accent_text` on its `accent`: its SVG is written, once per colour, to
a folder of this process's own (private to the user, removed at exit).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

TICK_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="14" height="14" viewBox="0 0 14 14">'
    '<path d="M3 7.2 L5.8 10 L11 4.2" fill="none" stroke="{color}" stroke-width="2"'
    ' stroke-linecap="round" stroke-linejoin="round"/></svg>'
)


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="sse-chat-style-"))  # mode 0700
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def tick_image(color: str) -> str:
    """The path of a tick drawn in `color` (`#rrggbb`), for the stylesheet's `url()`."""
    path = _folder() / f"tick-{color.lstrip('#')}.svg"
    path.write_text(TICK_SVG.format(color=color), encoding="utf-8")
    path.chmod(0o600)
    return path.as_posix()
