"""The Qt binding itself: a refcount bug there aborts the whole app after enough UI work.

PySide6-Essentials 6.12.0 under Python 3.11 loses a reference to `None` on every call of a
method that returns nothing; after a few thousand calls CPython aborts with
"Fatal Python error: none_dealloc". pyproject.toml excludes that release; this test fails
on any binding with the same defect.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_calls_keep_none_alive() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("x")
    # Other code may take or drop a few references meanwhile; a leak loses one per call.
    assert sys.getrefcount(None) > before - 100
