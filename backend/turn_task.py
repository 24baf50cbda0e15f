"""A turn's generation task: produce the reply from the responder, persist it as it grows,
finish it (the final write retried on a full disk), cut it at the length limit.

Finishing order: the final text and status are written to the store first, then the broker is
told (waking every subscriber with the stored message), then the reply leaves the broker. A
subscriber that comes later reads the complete reply from the store.

If the final write fails (a full disk) it is retried for `save_retry_seconds`; if it still
fails the reply ends `failed` ("Could not save the reply: the disk is full") with all its
text, and stays in the broker until `UnsavedReplies` has stored it so: a client is never told
a status the store does not hold (or will not hold once there is room).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from backend.broker import Outcome
from backend.changes import MESSAGE_UPDATED
from backend.openai.errors import plain_text
from backend.reasoning import ReplySplitter
from backend.records import Message, Part, Status, cut_parts, merged, text_of
from backend.responders import ChatMessage, Chunk, ResponderError
from backend.store import Store
from backend.turn_state import TurnState, _Turn, cut_note, unsaved_detail

logger = logging.getLogger(__name__)


class TurnTask(TurnState):
    """The generation task of each turn (`_run`)."""

    async def _run(self, turn: _Turn, history: Sequence[ChatMessage]) -> None:
        turn.started = True
        status: Status = turn.stop_reason or "complete"
        error: str | None = None
        if turn.stop_reason is None:
            status, error = await self._produce(turn, history)
        turn.finishing = True
        await self._finish(turn, status, error)
        if status == "complete" and self._namer is not None:
            answer = turn.live.text
            self._namer.reply_completed(turn.conversation_id, turn.responder, history, answer)

    async def _produce(
        self, turn: _Turn, history: Sequence[ChatMessage]
    ) -> tuple[Status, str | None]:
        flusher = asyncio.create_task(self._flush_periodically(turn))
        chunks: AsyncIterator[Chunk] | None = None
        splitter = ReplySplitter()
        limit, cut = self._max_reply_chars, False
        try:
            chunks = turn.responder.stream(history)
            async for chunk in chunks:
                parts: Sequence[Part]
                fast = isinstance(chunk, str) and splitter.passing  # the answer's text as it is
                if isinstance(chunk, str) and fast:
                    parts = (Part("text", chunk),)
                else:
                    parts = splitter.feed(chunk)
                room = limit - turn.live.length
                if sum(len(p.text) for p in parts) > room:  # cut; closing the stream stops it
                    turn.add(cut_parts(parts, room)[0])
                    turn.add([Part("text", cut_note(limit))])
                    logger.warning("A reply was cut at the length limit (%d characters)", limit)
                    cut = True
                    break
                if fast:
                    turn.live.append(parts[0].text)
                else:
                    turn.add(parts)
        except asyncio.CancelledError:
            return turn.stop_reason or "interrupted", None
        except ResponderError as exc:  # already a sentence for the user; no trace needed
            logger.warning("The %s responder failed: %s", turn.responder.name, exc.detail)
            return "failed", exc.detail
        except Exception as exc:
            logger.exception("The %s responder failed", turn.responder.name)
            said = plain_text(f"The responder failed: {exc}") if str(exc) else ""
            return "failed", said or "The responder failed"
        finally:
            flusher.cancel()
            if not cut:  # held-back text (a tag never finished) is kept too
                turn.add(splitter.end())
            turn.usage = splitter.usage
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:
                    logger.exception("Closing the responder's stream failed")
        return "complete", None

    async def _flush_periodically(self, turn: _Turn) -> None:
        """Persist the growing parts at most (and at least) every `persist_interval` seconds."""
        saved = 0
        failing = False
        next_at = time.monotonic() + self._persist_interval
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += self._persist_interval
            if turn.live.length == saved:
                continue
            try:
                await self._store.run(
                    Store.save_parts, turn.reply_id, turn.live.parts(), turn.first_token_ms
                )
            except Exception as exc:
                if not failing:  # once per reply, not every second
                    logger.warning("Saving a reply's progress failed: %s", exc)
                failing = True
            else:
                saved, failing = turn.live.length, False

    async def _finish(self, turn: _Turn, status: Status, error: str | None) -> None:
        parts, stats = merged(turn.live.parts()), turn.stats()
        assert turn.reply is not None
        known = replace(
            turn.reply, content=text_of(parts), status=status, error=error, parts=parts, stats=stats
        )
        try:
            stored = await self._store_final(turn, known)
        except Exception as exc:  # not stored, even after retrying: say so, keep the text
            detail = unsaved_detail(exc)
            logger.error("A reply could not be stored: %s (%s)", detail, exc)
            told = replace(known, status="failed", error=detail)
            turn.live.finish(Outcome(told, detail))
            if turn.abandoned:  # its conversation is being deleted: nothing to keep
                self._release(turn)
                return
            self._unsaved.keep(told)
            self._release(turn, keep_live=True)
            return
        if stored is None:  # deleted meanwhile: report what we know
            stored = known
        turn.live.finish(Outcome(stored, error if status == "failed" else None))
        self._release(turn)
        if self._changes is not None:
            self._changes.message(MESSAGE_UPDATED, stored)

    async def _store_final(self, turn: _Turn, final: Message) -> Message | None:
        """Write the final state; on failure retry every `save_retry_interval` seconds for
        `save_retry_seconds` (a full disk may get room) before raising the last error."""
        deadline = time.monotonic() + self._save_retry_seconds
        while True:
            try:
                return await self._store.run(
                    Store.finish_parts,
                    final.id,
                    final.all_parts,
                    final.status,
                    final.error,
                    final.stats,
                )
            except Exception as exc:
                late = time.monotonic() + self._save_retry_interval > deadline
                if late or self._closed or turn.abandoned:
                    raise
                logger.warning("Storing a finished reply failed (%s); retrying", exc)
            await asyncio.sleep(self._save_retry_interval)
