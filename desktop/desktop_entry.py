"""`sse-chat --install-desktop-entry`: SSE Chat in the desktop's application menu (XDG).

Writes `$XDG_DATA_HOME/applications/sse-chat.desktop` (default `~/.local/share`), from
`resources/sse-chat.desktop` with `Exec=` and `TryExec=` naming the executable that runs this
(the console script of a venv, an installed `sse-chat`, or the frozen bundle), and the icons
as `$XDG_DATA_HOME/icons/hicolor/<N>x<N>/apps/sse-chat.png` (+ `scalable/apps/sse-chat.svg`).
No Qt here; nothing outside the user's own data folder is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from desktop.resources import ICON_SIZES, read_text, resource_path

APP_ID = "sse-chat"
#: Characters that make an `Exec=` argument need double quotes (Desktop Entry spec).
_RESERVED = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


def data_home() -> Path:
    """`$XDG_DATA_HOME`, else `~/.local/share`."""
    env = os.environ.get("XDG_DATA_HOME", "")
    return Path(env) if env and Path(env).is_absolute() else Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """How to start the app that is running now, as absolute paths."""
    if getattr(sys, "frozen", False):  # the PyInstaller bundle
        return [str(Path(sys.executable).absolute())]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == APP_ID and script.exists():
        return [str(script.absolute())]
    beside = Path(sys.executable).parent / APP_ID  # the venv's console script
    if beside.exists():
        return [str(beside.absolute())]
    found = shutil.which(APP_ID)
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "desktop"]


def exec_quote(argument: str) -> str:
    """One `Exec=` argument: quoted where needed, `%` doubled, backslashes escaped twice
    (the quoting rule, then the string escape rule of the spec)."""
    argument = argument.replace("%", "%%")
    if _RESERVED.search(argument):
        argument = '"' + re.sub(r'(["`$\\])', r"\\\1", argument) + '"'
    return argument.replace("\\", "\\\\")


def desktop_file(command: list[str]) -> str:
    """The `.desktop` text: the bundled template with this executable in it."""
    template = read_text("sse-chat.desktop") or (
        "[Desktop Entry]\nType=Application\nName=SSE Chat\nIcon=sse-chat\nTerminal=false\n"
    )
    lines = [
        line
        for line in template.splitlines()
        if not line.startswith(("Exec=", "TryExec=", "Path="))
    ]
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("Type=")), 1)
    lines[at:at] = [
        f"TryExec={exec_quote(command[0])}",
        "Exec=" + " ".join(exec_quote(part) for part in command),
    ]
    return "\n".join(lines) + "\n"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def install(home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the entry and the icons under `home` (default `data_home()`); the paths written."""
    home = home or data_home()
    command = command or launch_command()
    written: list[Path] = []
    entry = home / "applications" / f"{APP_ID}.desktop"
    _write(entry, desktop_file(command).encode("utf-8"))
    written.append(entry)
    for size in ICON_SIZES:
        source = resource_path(f"icons/{APP_ID}-{size}.png")
        if source.exists():
            target = home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
            _write(target, source.read_bytes())
            written.append(target)
    svg = resource_path(f"icons/{APP_ID}.svg")
    if svg.exists():
        target = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
        _write(target, svg.read_bytes())
        written.append(target)
    return written


def install_desktop_entry() -> int:
    """The command: install, say where and what it starts; 0, or 1 with the reason."""
    try:
        written = install()
    except OSError as exc:
        sys.stderr.write(f"sse-chat: cannot install the menu entry: {exc}\n")
        return 1
    command = launch_command()
    sys.stdout.write(
        f"Installed the menu entry {written[0]}\n"
        f"  it starts: {' '.join(command)}\n"
        f"  icons: {len(written) - 1} files under {data_home() / 'icons' / 'hicolor'}\n"
        "Run it again after moving the app; delete those files to remove it.\n"
    )
    return 0
