"""Conversation titles written by the model (issue 14, item 4).

Once a conversation's first reply has completed, and when its responder can answer a short
non-streamed request (`TitleResponder`: the OpenAI-compatible one; echo cannot) and the
setting "Name conversations with the model" is on, the same model is asked for a title of at
most `MAX_WORDS` words. Its answer is cleaned (`clean_title`: reasoning, quotes, Markdown and
trailing punctuation removed) and set only if the title is still the one it had when the
request started (a rename meanwhile wins). A failure is logged and changes nothing: the
conversation keeps its first-words title.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from backend.reasoning import split_text
from backend.responders import ChatMessage, ResponderError
from backend.store import Store
from backend.store_thread import AsyncStore

logger = logging.getLogger(__name__)

MAX_WORDS = 6
MAX_CHARS = 200  # as `schemas.MAX_TITLE_CHARS`
TIMEOUT = 20.0  # seconds the model gets to answer
QUOTED_CHARS = 2_000  # of the first message and of the reply, put in the request

INSTRUCTION = (
    "Write a title for the conversation below: at most six words, in the conversation's "
    "language. Answer with the title alone: no quotes, no Markdown, no final punctuation."
)

_LABEL = re.compile(r"^\s*(?:title|titre|titel|título|titolo)\s*[:：]\s*", re.IGNORECASE)
_EDGES = "\"'`“”‘’«»„*_#~ \t"
_TRAILING = ".!?,;:…。！？、，；：-–—"


@runtime_checkable
class TitleResponder(Protocol):
    """A responder that can answer one short request, not streamed (its reasoning left out)."""

    model: str

    async def complete(self, messages: Sequence[ChatMessage], *, timeout: float) -> str: ...


def title_request(question: str, answer: str) -> list[ChatMessage]:
    """The messages that ask for a title of the exchange `question` -> `answer`."""

    def quoted(text: str) -> str:
        text = text.strip()
        return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "…"

    body = f"{INSTRUCTION}\n\nUser: {quoted(question)}\n\nAssistant: {quoted(answer)}"
    return [ChatMessage("user", body)]


def clean_title(raw: str) -> str | None:
    """The title in a model's answer, or None when there is none.

    Reasoning (`<think>...</think>`) is dropped, then the first non-empty line is kept
    without a "Title:" label, quotes, Markdown marks and final punctuation, cut to
    `MAX_WORDS` words.
    """
    text = split_text(raw)[1]
    line = next((line for line in text.splitlines() if line.strip()), "")
    previous = None
    while line != previous:
        previous = line
        line = _LABEL.sub("", line.strip(_EDGES)).rstrip(_TRAILING)
        line = " ".join(line.split()[:MAX_WORDS])
    if len(line) > MAX_CHARS:
        line = line[: MAX_CHARS - 1].rstrip() + "…"
    return line or None


async def name_conversation(
    store: AsyncStore,
    conversation_id: str,
    responder: TitleResponder,
    question: str,
    answer: str,
    timeout: float = TIMEOUT,
) -> str | None:
    """Ask `responder` for the conversation's title and set it; returns the title set."""
    conversation = await store.run(Store.get_conversation, conversation_id)
    if conversation is None:
        return None
    try:
        async with asyncio.timeout(timeout):
            raw = await responder.complete(title_request(question, answer), timeout=timeout)
    except TimeoutError:
        logger.info("No title from %s: no answer within %g s", responder.model, timeout)
        return None
    except ResponderError as exc:
        logger.info("No title from %s: %s", responder.model, exc.detail)
        return None
    except Exception:
        logger.exception("Asking %s for a title failed", responder.model)
        return None
    title = clean_title(raw)
    if title is None:
        logger.info("No title from %s: its answer held none", responder.model)
        return None
    if not await store.run(Store.retitle, conversation_id, conversation.title, title):
        logger.info("Conversation renamed meanwhile: the model's title is not used")
        return None
    logger.info("Conversation named by %s", responder.model)
    return title


class ConversationNamer:
    """Starts the naming of a conversation once its first reply has completed.

    `enabled` is read at that moment (the setting "Name conversations with the model").
    A conversation is named at most once per run of the backend.
    """

    def __init__(
        self, store: AsyncStore, enabled: Callable[[], bool], timeout: float = TIMEOUT
    ) -> None:
        self._store = store
        self._enabled = enabled
        self._timeout = timeout
        self._named: set[str] = set()
        self._tasks: set[asyncio.Task[str | None]] = set()
        self._closed = False

    def reply_completed(
        self,
        conversation_id: str,
        responder: object,
        history: Sequence[ChatMessage],
        answer: str,
    ) -> None:
        """`history`: what the model was sent (the reply's own text is `answer`)."""
        if self._closed or not isinstance(responder, TitleResponder) or not self._enabled():
            return
        if conversation_id in self._named or any(m.role == "assistant" for m in history):
            return
        question = next((m.content for m in reversed(history) if m.role == "user"), "")
        self._named.add(conversation_id)
        task = asyncio.create_task(
            name_conversation(
                self._store, conversation_id, responder, question, answer, self._timeout
            ),
            name=f"title-{conversation_id}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop every naming still under way (shutdown)."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
