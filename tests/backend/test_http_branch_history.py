"""The model is sent the current path up to the new reply's parent, never another branch
(PROTOCOL.md section 7), and the current path is one indexed query (no walk of the tree)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from backend.config import Settings
from backend.embedded import EmbeddedServer
from backend.responders import ChatMessage
from backend.store import Store
from tests.support.backend_helpers import Api


class RecordingResponder:
    """Answers "reply N" and remembers the history each turn was given."""

    name = "recording"
    model = "test"

    def __init__(self) -> None:
        self.seen: list[list[tuple[str, str]]] = []

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        self.seen.append([(m.role, m.content) for m in messages])
        yield f"reply {len(self.seen)}"


@pytest.fixture
def recorded(settings: Settings) -> Iterator[tuple[Api, RecordingResponder]]:
    responder = RecordingResponder()
    server = EmbeddedServer(settings, responder)
    server.start(timeout=10)
    try:
        yield Api(server.base_url, server.token), responder
    finally:
        server.stop(timeout=5)


def _done(api: Api, turn: dict[str, object]) -> None:
    reply = turn["reply"]
    assert isinstance(reply, dict)
    api.events(reply["id"])


def test_the_model_sees_only_the_current_path(recorded: tuple[Api, RecordingResponder]) -> None:
    api, responder = recorded
    cid = api.conversation()["id"]
    t1 = api.send(cid, "one")
    _done(api, t1)
    t2 = api.send(cid, "two")
    _done(api, t2)
    assert responder.seen[-1] == [("user", "one"), ("assistant", "reply 1"), ("user", "two")]

    regen = api.post(f"/api/messages/{t1['reply']['id']}/regenerate").json()
    _done(api, regen)
    assert responder.seen[-1] == [("user", "one")]  # not "two" nor the old reply

    edited = api.patch(f"/api/messages/{t2['message']['id']}", json={"content": "deux"}).json()
    _done(api, edited)
    assert responder.seen[-1] == [("user", "one"), ("assistant", "reply 1"), ("user", "deux")]

    head = api.put(f"/api/conversations/{cid}/head", json={"message_id": regen["reply"]["id"]})
    assert head.status_code == 200
    t3 = api.send(cid, "three")
    _done(api, t3)
    assert responder.seen[-1] == [("user", "one"), ("assistant", "reply 3"), ("user", "three")]


def test_a_long_path_loads_by_the_parent_index(tmp_path: Path) -> None:
    """10,000 messages with 500 branch points: the path is found through the indexes."""
    store = Store.open(tmp_path / "chat.sqlite3")
    try:
        conv = store.create_conversation("long")
        with store.transaction() as conn:
            parent = None
            for seq in range(1, 10_001):
                mid = f"m{seq}"
                conn.execute(
                    "INSERT INTO messages (id, conversation_id, parent_id, seq, role, content,"
                    " status, created_at) VALUES (?,?,?,?,?,?,'complete','t')",
                    (mid, conv.id, parent, seq, "user" if seq % 2 else "assistant", f"text {seq}"),
                )
                if seq % 20 == 0:  # a branch point: an older sibling beside this message
                    conn.execute(
                        "INSERT INTO messages (id, conversation_id, parent_id, seq, role,"
                        " content, status, created_at) VALUES (?,?,?,?,?,?,'complete','t')",
                        (f"alt{seq}", conv.id, parent, 20_000 + seq, "assistant", "alt"),
                    )
                parent = mid
            conn.execute("UPDATE conversations SET head_id = ? WHERE id = ?", (parent, conv.id))
        plan = " ".join(
            str(row[3])
            for row in store.connection.execute(
                "EXPLAIN QUERY PLAN WITH RECURSIVE path (id, depth) AS (SELECT 'm1', 0"
                " UNION ALL SELECT m.parent_id, path.depth + 1 FROM messages m JOIN path"
                " ON m.id = path.id WHERE m.parent_id IS NOT NULL) SELECT * FROM path"
            )
        )
        assert "SCAN m" not in plan and "INDEX" in plan, plan
        started = time.perf_counter()
        path = store.list_messages(conv.id)
        elapsed = time.perf_counter() - started
        assert len(path) == 10_000 and path[0].id == "m1" and path[-1].id == "m10000"
        assert path[19].siblings == ("m20", "alt20")
        print(f"10,000-message path with 500 branch points loaded in {elapsed * 1000:.1f} ms")
    finally:
        store.close()
