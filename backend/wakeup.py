"""`Wakeup`: the event-loop wake-up that live replies and the change feed share.

Every `wake()` wakes everyone waiting at that moment (the event is replaced, so a waiter
that comes later waits for the next one); `close()` wakes them for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Wakeup:
    """Wakes its waiters on each `wake()`; once closed, nobody waits any more."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.closed = False

    def wake(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def close(self) -> None:
        self.closed = True
        self.wake()

    async def until(self, done: Callable[[], bool]) -> None:
        """Return once `done()` is true (checked at each wake-up) or this is closed."""
        while not done() and not self.closed:
            await self._changed.wait()
