"""Qt's messages go to Python logging (`--log-level`, the log file), minus known noise."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import QMessageLogContext, QtMsgType

from desktop.qt_messages import forward


def test_qt_messages_are_logged_and_the_offscreen_noise_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context = QMessageLogContext()
    with caplog.at_level(logging.DEBUG, logger="qt"):
        forward(
            QtMsgType.QtWarningMsg, context, "This plugin does not support propagateSizeHints()"
        )
        forward(QtMsgType.QtWarningMsg, context, "QFont::setPointSize: Point size <= 0 (0)")
        forward(QtMsgType.QtCriticalMsg, context, "something broke")
        forward(QtMsgType.QtDebugMsg, context, "a detail")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("qt", logging.WARNING, "QFont::setPointSize: Point size <= 0 (0)"),
        ("qt", logging.ERROR, "something broke"),
        ("qt", logging.DEBUG, "a detail"),
    ]
