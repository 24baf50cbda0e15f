"""Files only this user can read: folders 0700, files 0600, on creation whatever the umask,
and tightened when found looser (issue 11, item 7). The chat history, the lock, the log and
(with no keyring) the settings file holding the API key all go through here.

POSIX only: on Windows a user's profile folders are private already, and these are no-ops.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_POSIX = os.name == "posix"


def tighten(path: Path, wanted: int = FILE_MODE) -> None:
    """Take group and other permissions away from `path` if it exists and has any.

    A shared sticky folder (`/tmp`) is left alone: it is not ours to close.
    """
    if not _POSIX:
        return
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    current = stat.S_IMODE(info.st_mode)
    if not current & 0o077 or (stat.S_ISDIR(info.st_mode) and current & stat.S_ISVTX):
        return
    path.chmod(wanted)
    logger.info("Made %s private (mode %o, was %o)", path, wanted, current)


def private_folder(path: Path) -> Path:
    """Create `path` (and missing parents) with mode 0700 for the last one, or tighten it."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    tighten(path, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists with mode 0600 (created empty if missing, tightened if not)."""
    if _POSIX:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        os.close(fd)
    else:
        path.touch(exist_ok=True)
    tighten(path)
    return path


def open_private(path: Path, flags: int) -> int:
    """`os.open(path, flags)` creating the file 0600; an existing one is tightened."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        tighten(path)
    except OSError:
        os.close(fd)
        raise
    return fd
