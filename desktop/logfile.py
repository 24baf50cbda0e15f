"""The desktop's logging: stderr at the chosen level, and a rotating file in the data folder.

The file is `<data dir>/logs/sse-chat.log` (1 MB, 3 backups) at INFO or finer, so a user
can send it with a bug report. Every handler carries the backend's `TokenRedactingFilter`
(`backend/logs.py`): the launch token, any other secret passed in and any `token=` query
value never reach a line.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from backend.logs import TokenRedactingFilter, redact_access_log
from backend.private_files import open_private, private_folder, tighten

log = logging.getLogger(__name__)

LOG_DIR = "logs"
LOG_NAME = "sse-chat.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
FILE_LEVEL = logging.INFO
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_path(data_dir: Path) -> Path:
    return data_dir / LOG_DIR / LOG_NAME


def level_of(name: str, default: int = logging.WARNING) -> int:
    value = logging.getLevelName(str(name).upper())
    return value if isinstance(value, int) else default


def configure_console(level: int) -> logging.Handler | None:
    """A stderr handler at `level` (none when there is no stderr, as in a windowed app)."""
    if sys.stderr is None:
        return None
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, level))
    return handler


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A `RotatingFileHandler` whose files only this user can read (0600): the first one
    and every one a rollover makes, whatever the umask (renamed copies keep their mode)."""

    def _open(self) -> io.TextIOWrapper:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND)
        stream = open(fd, self.mode, encoding=self.encoding, errors=self.errors)  # noqa: SIM115
        assert isinstance(stream, io.TextIOWrapper)
        return stream


def install_file_log(
    data_dir: Path, token: str | None = None, *secrets: str | None
) -> RotatingFileHandler | None:
    """Add the rotating file handler; None (and a warning on stderr) if it cannot be written."""
    path = log_path(data_dir)
    try:
        private_folder(path.parent)
        for index in range(1, BACKUP_COUNT + 1):  # copies an earlier version left readable
            tighten(path.with_name(f"{path.name}.{index}"))
        handler = PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=False
        )
    except OSError as exc:
        log.warning("cannot write the log file %s: %s", path, exc.strerror or exc)
        return None
    handler.setLevel(FILE_LEVEL)
    handler.setFormatter(logging.Formatter(FORMAT))
    redactor = TokenRedactingFilter(token, *secrets)
    root = logging.getLogger()
    for existing in root.handlers:
        existing.addFilter(redactor)
    handler.addFilter(redactor)
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, FILE_LEVEL))
    redact_access_log()
    return handler


def remove_handler(handler: logging.Handler | None) -> None:
    """Detach and close `handler` (e.g. the self-test's file before its folder goes)."""
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    handler.close()
