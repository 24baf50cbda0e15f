"""Bounded polling: wait for a condition to hold, failing the test after a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T | None], *, timeout: float, interval: float = 0.02, what: str = ""
) -> T:
    """Poll `predicate` until it returns something truthy, and return that value.

    `predicate` is called at once and then every `interval` seconds; once `timeout`
    seconds have passed without a truthy value, an `AssertionError` names `what`
    (or the predicate itself).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)
