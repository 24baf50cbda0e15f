"""TurnService on its own event loop: periodic persistence and shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from backend.broker import ReplyBroker
from backend.records import Message, Part
from backend.responders import ChatMessage, Chunk, Usage
from backend.store import Store
from backend.store_thread import AsyncStore
from backend.turns import TurnService
from tests.support.backend_helpers import StallingResponder


def test_a_growing_reply_is_persisted_periodically_then_interrupted_on_shutdown(
    tmp_path: Path,
) -> None:
    async def scenario() -> tuple[str, str, str]:
        store = await AsyncStore.open(tmp_path / "chat.sqlite3")
        broker = ReplyBroker()
        turns = TurnService(store, broker, StallingResponder("part"), persist_interval=0.01)
        conv = await store.run(Store.create_conversation, "t")
        _, reply = await turns.send(conv.id, "hello")
        live = broker.get(reply.id)
        assert live is not None and turns.is_streaming(conv.id)
        await live.wait_past(0)
        # The flush is periodic by design: poll the store for it (bounded).
        deadline = time.monotonic() + 5
        stored = await store.run(Store.get_message, reply.id)
        while stored is not None and stored.content != "part" and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            stored = await store.run(Store.get_message, reply.id)
        assert stored is not None
        await turns.shutdown()
        final = await store.run(Store.get_message, reply.id)
        await store.close()
        assert final is not None and live.outcome is not None
        assert not turns.is_streaming(conv.id) and broker.get(reply.id) is None
        return stored.status + ":" + stored.content, final.status, final.content

    assert asyncio.run(scenario()) == ("streaming:part", "interrupted", "part")


class ThinkingResponder:
    """Reasons (apart and in `<think>` text), starts answering, then waits until cancelled."""

    name = "thinking"
    model = "test"

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[Chunk]:
        yield Part("reasoning", "from the field, ")
        yield "<thi"
        yield "nk>inline</think>"
        yield "Ans"
        yield Usage(5, 6)
        await asyncio.Event().wait()


def test_reasoning_is_persisted_as_it_grows_and_kept_when_interrupted(tmp_path: Path) -> None:
    thought = Part("reasoning", "from the field, inline")

    async def scenario() -> tuple[Message, Message]:
        store = await AsyncStore.open(tmp_path / "chat.sqlite3")
        broker = ReplyBroker()
        turns = TurnService(store, broker, ThinkingResponder(), persist_interval=0.01)
        conv = await store.run(Store.create_conversation, "t")
        _, reply = await turns.send(conv.id, "hello")
        deadline = time.monotonic() + 5
        stored = await store.run(Store.get_message, reply.id)
        while stored is not None and stored.content != "Ans" and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            stored = await store.run(Store.get_message, reply.id)
        assert stored is not None
        await turns.shutdown()
        final = await store.run(Store.get_message, reply.id)
        await store.close()
        assert final is not None
        return stored, final

    stored, final = asyncio.run(scenario())
    assert stored.status == "streaming"
    assert stored.all_parts == (thought, Part("text", "Ans"))
    assert stored.stats is not None and isinstance(stored.stats.first_token_ms, int)
    assert final.status == "interrupted"
    assert (final.reasoning, final.content) == (thought.text, "Ans")
    assert final.stats is not None
    assert (final.stats.prompt_tokens, final.stats.completion_tokens) == (5, 6)
    assert isinstance(final.stats.duration_ms, int)
    assert final.stats.duration_ms >= (final.stats.first_token_ms or 0)
