"""Qt's own messages (qWarning and friends) into Python logging, minus known noise.

Without this Qt writes them to stderr itself, bypassing `--log-level` and the log file; and
the offscreen platform (headless runs, `--self-test`, CI) says "This plugin does not support
propagateSizeHints()" for every window it shows, which is not something to act on.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

log = logging.getLogger("qt")

#: Messages dropped, as Qt words them.
IGNORED = frozenset({"This plugin does not support propagateSizeHints()"})

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def forward(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """The message handler: one log record per Qt message that is not `IGNORED`."""
    if message in IGNORED:
        return
    category = context.category if context is not None and context.category else ""
    if category and category != "default":
        log.log(_LEVELS.get(kind, logging.WARNING), "%s: %s", category, message)
    else:
        log.log(_LEVELS.get(kind, logging.WARNING), "%s", message)


def install() -> None:
    """Route Qt's messages through `forward` (for the whole process)."""
    qInstallMessageHandler(forward)
