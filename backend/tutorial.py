"""The tutorial's message box (PROTOCOL.md section 6): messages waiting to be streamed once."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from backend.sse import format_text_event


class TutorialInbox:
    """Pending messages, oldest first; each `GET /stream` takes one."""

    def __init__(self) -> None:
        self._pending: deque[str] = deque()

    def post(self, message: str) -> None:
        self._pending.append(message)

    def take(self) -> str | None:
        return self._pending.popleft() if self._pending else None


async def tutorial_events(message: str | None, delay: float) -> AsyncIterator[bytes]:
    """The message plus one space, a character per event; the last one is `event: end`."""
    if message is None:
        return
    text = message + " "
    for index, char in enumerate(text):
        if index and delay > 0:
            await asyncio.sleep(delay)
        yield format_text_event("end" if index == len(text) - 1 else "message", char)
