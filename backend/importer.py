"""`POST /api/import` (PROTOCOL.md section 10): a JSON file read as a stream.

The body's chunks go through `JsonItems` as they arrive (gathered into pieces of 1 MiB);
each conversation is converted (`import_formats`), made into its rows (`store_import.prepare`)
and queued into a batch; a full batch is written on the store thread
(`store_import.import_conversations`, one transaction) while the next one is parsed, with
at most one batch in flight. So memory holds one piece of the body, the conversation being
parsed and two batches, whatever the file's size. The conversations stay hidden until the
whole file has been read and found to be one of the two shapes; then one small transaction
shows them all. Anything that fails on the way (not JSON, the wrong shape, a body over the
limit, a client that went away) removes what was stored: nothing is imported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from backend.errors import ApiError, ContentTooLarge, Unprocessable
from backend.import_formats import (
    Unreadable,
    from_chatgpt,
    from_own,
    looks_like_chatgpt,
    title_of,
)
from backend.json_stream import ItemTooLarge, JsonItems, NotJson, TooDeep
from backend.records import new_id, utc_now
from backend.store_import import (
    Prepared,
    Stored,
    commit_import,
    discard_import,
    import_conversations,
    prepare,
)
from backend.store_thread import AsyncStore

logger = logging.getLogger(__name__)

OWN_FORMAT = "sse-chat"
OWN_VERSION = 1
#: The largest single conversation read (characters of its JSON).
MAX_CONVERSATION_CHARS = 64 * 1024 * 1024
BATCH_CHARS = 4 * 1024 * 1024
BATCH_CONVERSATIONS = 500
#: Bytes of the body given to the parser at a time.
FEED_BYTES = 1024 * 1024


@dataclass
class ImportSummary:
    conversations: int = 0
    messages: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


class _Run:
    def __init__(self, store: AsyncStore) -> None:
        self.store = store
        self.import_id = new_id()
        self.now = utc_now()
        self.parser = JsonItems("conversations", MAX_CONVERSATION_CHARS)
        self.summary = ImportSummary()
        self.batch: list[Prepared] = []
        self.batch_chars = 0
        self.writing: asyncio.Task[list[Stored]] | None = None
        self.recognised = 0  # items of the file that had the expected shape
        self.position = 0

    async def take(self, item: Any) -> None:
        self.position += 1
        if isinstance(item, TooDeep):
            self.summary.skipped.append((self._title(item), "it is nested too deeply to be read"))
            return
        try:
            if self.parser.kind == "list":
                if looks_like_chatgpt(item):
                    self.recognised += 1
                conv = from_chatgpt(item, self.now)
            else:
                self.recognised += 1
                conv = from_own(item, self.now)
        except Unreadable as exc:
            self.summary.skipped.append((self._title(item), str(exc)))
            return
        except (RecursionError, ValueError, TypeError, OverflowError) as exc:
            self.summary.skipped.append((self._title(item), f"it could not be read ({exc})"))
            return
        self.batch.append(prepare(conv))  # (here: the store thread is the busier one)
        self.batch_chars += sum(len(m.content) + len(m.reasoning) for m in conv.messages) + 200
        if self.batch_chars >= BATCH_CHARS or len(self.batch) >= BATCH_CONVERSATIONS:
            await self.flush()

    def _title(self, item: Any) -> str:
        title = item.get("title") if isinstance(item, dict) else None
        return title_of(title) if isinstance(title, str) else f"Conversation {self.position}"

    async def flush(self) -> None:
        await self.settle()
        if self.batch:
            batch, self.batch, self.batch_chars = self.batch, [], 0
            self.writing = asyncio.create_task(
                self.store.run(import_conversations, batch, self.import_id)
            )

    async def settle(self) -> None:
        """Wait for the batch being written and count what it stored."""
        if self.writing is None:
            return
        task, self.writing = self.writing, None
        for stored in await task:
            if stored.skipped is not None:
                self.summary.skipped.append((stored.title, stored.skipped))
            else:
                self.summary.conversations += 1
                self.summary.messages += stored.messages

    def check_shape(self) -> None:
        parser = self.parser
        if parser.kind == "list":
            if self.position and not self.recognised:
                raise Unprocessable(
                    "The file is a JSON list, but not of ChatGPT conversations (no mapping)"
                )
            return
        if parser.header.get("format") != OWN_FORMAT or not parser.saw_items:
            raise Unprocessable(
                'The file is neither an SSE Chat export (format "sse-chat" with a list of'
                " conversations) nor a ChatGPT conversations.json (a list)"
            )
        if parser.header.get("version") != OWN_VERSION:
            raise Unprocessable(f"The export's version is not {OWN_VERSION}")


async def import_file(
    store: AsyncStore, chunks: AsyncIterator[bytes], max_bytes: int
) -> ImportSummary:
    """Import one file; raise `ApiError` (422/413) with nothing imported when it cannot be."""
    run = _Run(store)
    received = 0
    try:
        async for data in _gathered(chunks):
            received += len(data)
            if received > max_bytes:
                raise ContentTooLarge(f"The file is over {max_bytes:,} bytes")
            run.parser.feed(data)
            for item in run.parser.items():
                await run.take(item)
        run.parser.close()
        for item in run.parser.items():
            await run.take(item)
        run.check_shape()
        await run.flush()
        await run.settle()
        await store.run(commit_import, run.import_id)
    except BaseException as exc:
        await _undo(run)
        if isinstance(exc, NotJson):
            raise Unprocessable(str(exc)) from None
        if isinstance(exc, ItemTooLarge):
            raise ContentTooLarge(str(exc)) from None
        if not isinstance(exc, (ApiError, asyncio.CancelledError)):
            logger.warning("An import failed and was undone: %r", exc)
        raise
    logger.info(
        "Imported %d conversations (%d messages); skipped %d",
        run.summary.conversations,
        run.summary.messages,
        len(run.summary.skipped),
    )
    return run.summary


async def _gathered(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The body in pieces of about `FEED_BYTES`: an item cut by the end of a piece is
    decoded again once more has come, and the body's own chunks are 64 KiB."""
    waiting: list[bytes] = []
    size = 0
    async for chunk in chunks:
        waiting.append(chunk)
        size += len(chunk)
        if size >= FEED_BYTES:
            yield b"".join(waiting)
            waiting, size = [], 0
    if waiting:
        yield b"".join(waiting)


async def _undo(run: _Run) -> None:
    try:
        if run.writing is not None:
            await asyncio.gather(run.writing, return_exceptions=True)
        await asyncio.shield(run.store.run(discard_import, run.import_id))
    except Exception:  # the store is closing: start-up removes what is left
        logger.exception("Undoing a failed import failed")
