"""Import units: what a ChatGPT conversation becomes, and the store's staging of an import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend.import_formats import Unreadable, from_chatgpt, from_own
from backend.store import Store
from backend.store_import import (
    ALREADY_IMPORTED,
    commit_import,
    discard_import,
    import_conversations,
    prepare,
)


def node(nid: str, parent: str | None, role: str, kind: str = "text", **content: Any) -> Any:
    body = {"content_type": kind, **(content or {"parts": [f"text {nid}"]})}
    message = {"id": nid, "author": {"role": role}, "content": body, "create_time": len(nid)}
    return {"id": nid, "parent": parent, "message": message}


def chat(*nodes: Any, current: str | None = None) -> dict[str, Any]:
    return {"title": "t", "conversation_id": "c", "current_node": current,
            "mapping": {n["id"]: n for n in nodes}}  # fmt: skip


def test_thoughts_become_the_reasoning_of_the_reply_below() -> None:
    conv = from_chatgpt(
        chat(
            node("u", None, "user"),
            node("th", "u", "assistant", "thoughts", thoughts=[{"summary": "S", "content": "C"}]),
            node("rr", "th", "assistant", "reasoning_recap", content="Thought for 2s"),
            node("tool", "rr", "tool"),
            node("a", "tool", "assistant"),
            node("u2", "a", "user"),
            node("a2", "u2", "assistant"),
            current="a2",
        ),
        "2024-01-01T00:00:00Z",
    )
    by_key = {m.key: m for m in conv.messages}
    assert list(by_key) == ["u", "a", "u2", "a2"]
    assert by_key["a"].reasoning == "S\n\nC\n\nThought for 2s" and by_key["a"].parent == "u"
    assert by_key["a2"].reasoning == "" and by_key["u"].reasoning == ""
    assert conv.head == "a2"


def test_reasoning_above_a_user_message_is_not_carried_past_it() -> None:
    conv = from_chatgpt(
        chat(
            node("th", None, "assistant", "thoughts", thoughts=[{"content": "lost"}]),
            node("u", "th", "user"),
            node("a", "u", "assistant"),
        ),
        "now",
    )
    assert [m.reasoning for m in conv.messages] == ["", ""]
    assert conv.head is None  # no current_node: the store takes the newest leaf


def test_a_hidden_current_node_gives_the_nearest_kept_message() -> None:
    hidden = node("h", "a", "assistant")
    hidden["message"]["metadata"] = {"is_visually_hidden_from_conversation": True}
    conv = from_chatgpt(chat(node("u", None, "user"), node("a", "u", "assistant"), hidden,
                             current="h"), "now")  # fmt: skip
    assert conv.head == "a"


@pytest.mark.parametrize(
    "item",
    [
        5,
        {"mapping": []},
        chat(node("x", "y", "user"), node("y", "x", "assistant")),  # a cycle
        chat(node("x", "x", "user")),  # its own parent
    ],
)
def test_unreadable_chatgpt_conversations(item: Any) -> None:
    with pytest.raises(Unreadable):
        from_chatgpt(item, "now")


@pytest.mark.parametrize(
    "messages",
    [
        [{"id": "a", "role": "user", "content": "x"}, {"id": "a", "role": "user", "content": "y"}],
        [{"id": "a", "role": "system", "content": "x"}],
        [{"id": "a", "role": "user", "content": 5}],
        [{"id": "a", "role": "user", "content": "x", "parent_id": "nowhere"}],
        [{"role": "user", "content": "x"}],
        "not a list",
    ],
)
def test_unreadable_own_conversations(messages: Any) -> None:
    with pytest.raises(Unreadable):
        from_own({"id": "c", "title": "t", "messages": messages}, "now")


def test_an_import_is_hidden_until_committed_and_undone_by_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite3"
    conv = from_own(
        {"id": "c1", "title": "Kept", "head_id": "b",
         "messages": [{"id": "a", "role": "user", "content": "hi"},
                      {"id": "b", "role": "assistant", "content": "yo", "parent_id": "a"}]},
        "2024-01-01T00:00:00.000000Z",
    )  # fmt: skip
    store = Store.open(db)
    try:
        stored = import_conversations(store, [conv, conv], "imp1")
        assert [s.messages for s in stored] == [2, 0]
        assert stored[1].skipped == ALREADY_IMPORTED  # the second copy in the same batch
        assert store.list_conversations() == []  # hidden while the import runs
        assert discard_import(store, "imp1") == 1
        import_conversations(store, [conv], "imp2")
        commit_import(store, "imp2")
        (listed,) = store.list_conversations()
        assert [m.content for m in store.list_messages(listed.id)] == ["hi", "yo"]
        import_conversations(store, [from_own({"id": "c2", "messages": []}, "now")], "imp3")
    finally:
        store.close()
    store = Store.open(db)  # a crash during imp3: start-up removes what it stored
    try:
        assert store.discard_unfinished_imports() == 1
        assert [c.title for c in store.list_conversations()] == ["Kept"]
    finally:
        store.close()


def test_without_a_head_the_newest_leaf_below_the_newest_root_is_current(tmp_path: Path) -> None:
    def message(mid: str, parent: str | None) -> dict[str, Any]:
        return {"id": mid, "role": "user", "content": mid, "parent_id": parent}

    conv = from_own(
        {"id": "c", "messages": [message("r1", None), message("r2", None), message("a", "r2"),
                                 message("b", "r2"), message("a1", "a"), message("r1a", "r1")]},
        "now",
    )  # fmt: skip
    store = Store.open(tmp_path / "chat.sqlite3")
    try:
        import_conversations(store, [conv], "imp1")
        commit_import(store, "imp1")
        (listed,) = store.list_conversations()
        assert listed.head_id is not None
        assert store.get_message(listed.head_id).content == "b"  # type: ignore[union-attr]
    finally:
        store.close()


def test_a_batch_the_database_refuses_is_stored_one_by_one(tmp_path: Path) -> None:
    def conv(cid: str) -> Any:
        messages = [
            {"id": "a", "role": "user", "content": "hi"},
            {"id": "b", "role": "assistant", "content": "yo", "parent_id": "a"},
        ]
        return prepare(from_own({"id": cid, "title": cid, "messages": messages}, "now"))

    bad = conv("bad")
    bad.messages[1] = (*bad.messages[1][:4], "system", *bad.messages[1][5:])  # CHECK (role)
    store = Store.open(tmp_path / "chat.sqlite3")
    try:
        stored = import_conversations(store, [conv("one"), bad, conv("two")], "imp1")
        assert [s.messages for s in stored] == [2, 0, 2]
        assert (stored[1].skipped or "").startswith("it could not be stored")
        commit_import(store, "imp1")
        assert sorted(c.title for c in store.list_conversations()) == ["one", "two"]
        assert store.connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 4
    finally:
        store.close()
