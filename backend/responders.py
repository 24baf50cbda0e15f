"""Where reply text comes from: the `Responder` interface and the built-in echo responder."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable

from backend.records import Part, Role

#: With no delay, the echo responder hands the event loop back once it has run this long
#: (seconds) without a pause, checking the clock every `CLOCK_EVERY` code points.
#:
#: Not more often: the loop's thread shares the GIL with the desktop's GUI thread and stream
#: workers, and each pass of the loop (its `epoll_wait`) drops and at once re-takes the GIL.
#: In CPython 3.11 a waiting thread asks for the GIL only after a whole switch interval
#: (1 ms in the desktop) with no hand-over, and each such drop wakes it with the GIL taken
#: again: a loop passing every ~0.1 ms kept every other thread out for the whole reply
#: (~300 ms for 200 KB). Passes further apart than the switch interval let them ask.
YIELD_INTERVAL = 0.005
CLOCK_EVERY = 64


class ResponderError(Exception):
    """A responder failed and can say why in plain words: `detail` is shown to the user.

    The reply ends `failed` with `detail` as its error, and no stack trace is logged. `code` is
    a short machine name (the OpenAI responder's `UpstreamError` says `timeout`,
    `unauthorized`, ...).
    """

    def __init__(self, detail: str, *, code: str = "responder_error") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class Usage:
    """The upstream's token counts for one reply, when it reports them."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None


#: What a responder's stream yields: answer text (`str`, or a `Part` of type `text`),
#: reasoning it got apart from the text (`Part("reasoning", ...)`), or its `Usage`.
#: Text starting with `<think>` is split by `backend.reasoning`, whatever the responder.
Chunk = str | Part | Usage


class Responder(Protocol):
    """Produces a reply to a conversation as an async iterator of chunks (`Chunk`).

    `name` and `model` are recorded with each reply (the `provider`/`model` columns).
    Raising from the iterator fails the reply (a `ResponderError` with its `detail`, anything
    else as an unexpected failure); being cancelled stops it.
    """

    name: str
    model: str

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[Chunk]: ...


@runtime_checkable
class TunableResponder(Responder, Protocol):
    """A responder that honours a /v1 request's own options (`OpenAICompatResponder`).

    `with_options` returns a copy for one request: a `temperature` or `max_tokens` given
    replaces the configured one, None keeps it. Once the copy's `stream()` has ended,
    `finish_reason` says why the model stopped (`"stop"`, `"length"`, ...; None: not said).
    Responders without it (echo) take no options, and the /v1 router cuts their replies.
    """

    finish_reason: str | None

    def with_options(
        self, *, temperature: float | None = None, max_tokens: int | None = None
    ) -> TunableResponder: ...


@runtime_checkable
class ConfigurableResponder(Responder, Protocol):
    """A responder a conversation can set its own model and system prompt on (section 11).

    `configured` returns a copy for one turn: a `model` or `system_prompt` given replaces
    the configured one (`""` as system prompt: none), None keeps it.
    """

    def configured(self, model: str | None, system_prompt: str | None) -> Responder: ...


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

    def configured(self, model: str | None, system_prompt: str | None) -> EchoResponder:
        """A copy answering as `model` (echo has no system prompt: it repeats the message)."""
        clone = copy.copy(self)
        if model is not None:
            clone.model = model
        return clone

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        text = next((m.content for m in reversed(messages) if m.role == "user"), "")
        loop = asyncio.get_running_loop()
        due = loop.time() + YIELD_INTERVAL
        for index, char in enumerate(text):
            if index:
                if self.delay > 0:
                    await asyncio.sleep(self.delay)
                elif index % CLOCK_EVERY == 0 and loop.time() >= due:
                    await asyncio.sleep(0)
                    due = loop.time() + YIELD_INTERVAL
            yield char
