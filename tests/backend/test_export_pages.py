"""The streamed export in small pages: every conversation and message once, in order, with
the same siblings as the tree (pages cut conversations and branch points anywhere)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from backend import export
from backend.schemas import MessageOut
from backend.store import Store
from backend.store_thread import AsyncStore


def _history(store: Store) -> list[str]:
    cids = []
    for i in range(5):
        conv = store.create_conversation(f"c{i}")
        cids.append(conv.id)
        for j in range(i):  # 0..4 turns, and a regeneration in some
            _, reply = store.add_turn(conv.id, f"q{i}.{j}", f"r{i}.{j}")
            store.finish_reply(reply.id, "a", "complete")
            if (i + j) % 2:
                store.add_regeneration(reply.id, f"r{i}.{j}b")
                store.finish_reply(f"r{i}.{j}b", "b", "complete")
    return cids


@pytest.mark.parametrize(("conversations", "messages"), [(1, 1), (2, 3), (3, 5), (200, 1000)])
def test_small_pages_export_the_same_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, conversations: int, messages: int
) -> None:
    db = tmp_path / "chat.sqlite3"
    store = Store.open(db)
    try:
        cids = _history(store)
        expected = {
            cid: [MessageOut.of(m).model_dump() for m in store.list_tree(cid)] for cid in cids
        }
    finally:
        store.close()
    monkeypatch.setattr(export, "CONVERSATION_PAGE", conversations)
    monkeypatch.setattr(export, "MESSAGE_PAGE", messages)
    monkeypatch.setattr(export, "PIECE_BYTES", 10)

    async def read() -> bytes:
        astore = await AsyncStore.open(db)
        try:
            return b"".join([piece async for piece in export.export_document(astore)])
        finally:
            await astore.close()

    doc = json.loads(asyncio.run(read()))
    assert [c["id"] for c in doc["conversations"]] == cids
    for conv in doc["conversations"]:
        assert conv["messages"] == expected[conv["id"]]
