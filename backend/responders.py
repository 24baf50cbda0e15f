"""Where reply text comes from: the `Responder` interface and the built-in echo responder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from backend.records import Role

#: With no delay, the echo responder still yields to the event loop this often.
YIELD_EVERY = 64


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


class Responder(Protocol):
    """Produces a reply to a conversation as an async iterator of text chunks.

    `name` and `model` are recorded with each reply (the `provider`/`model` columns).
    Raising from the iterator fails the reply; being cancelled stops it.
    """

    name: str
    model: str

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]: ...


#: A fixed responder, or a zero-argument callable returning the current one.
ResponderSource = Responder | Callable[[], Responder]


def resolve_responder(source: ResponderSource) -> Responder:
    """The responder `source` stands for right now."""
    if callable(source) and not hasattr(source, "stream"):
        return source()
    return cast(Responder, source)


class EchoResponder:
    """Streams the last user message back, one code point at a time."""

    name = "echo"
    model = "echo"

    def __init__(self, delay: float = 0.05) -> None:
        if delay < 0:
            raise ValueError("delay must be >= 0")
        self.delay = delay

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        text = next((m.content for m in reversed(messages) if m.role == "user"), "")
        for index, char in enumerate(text):
            if index:
                if self.delay > 0:
                    await asyncio.sleep(self.delay)
                elif index % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            yield char
