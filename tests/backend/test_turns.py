"""TurnService on its own event loop: periodic persistence and shutdown."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from backend_helpers import StallingResponder

from backend.broker import ReplyBroker
from backend.store import Store
from backend.store_thread import AsyncStore
from backend.turns import TurnService


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
