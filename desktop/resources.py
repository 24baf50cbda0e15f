"""Paths of files bundled in `resources/`, from a checkout or a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    """`resources/` inside PyInstaller's `sys._MEIPASS`, inside an installed wheel
    (`desktop/_resources`, see pyproject.toml), or next to the packages in a checkout."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    here = Path(__file__).resolve().parent
    installed = here / "_resources"
    return installed if installed.is_dir() else here.parent / "resources"


def resource_path(name: str) -> Path:
    """The path of bundled file `name` (it may not exist; callers check)."""
    return resources_dir() / name


def read_text(name: str, default: str = "") -> str:
    try:
        return resource_path(name).read_text(encoding="utf-8")
    except OSError:
        return default


#: The PNG sizes in `resources/icons/` (the sizes desktop environments ask for).
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def icon_paths() -> list[Path]:
    """The app icon's PNGs that exist, smallest first."""
    paths = [resource_path(f"icons/sse-chat-{size}.png") for size in ICON_SIZES]
    return [path for path in paths if path.exists()]


def app_icon() -> QIcon:
    """The app icon in every bundled size (PNG only: no image-format plugin is needed)."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for path in icon_paths():
        icon.addFile(str(path))
    return icon
