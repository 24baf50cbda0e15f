"""The Qt models on their own: no window, no backend."""

from __future__ import annotations

from dataclasses import replace

from pytestqt.qtbot import QtBot

from desktop.models import ConversationListModel, MessageListModel
from desktop.models.conversations import title_of
from desktop.records import STATUSES, Conversation, Message, MessageStatus


def msg(
    mid: str, role: str = "assistant", content: str = "", status: MessageStatus = "complete"
) -> Message:
    return Message(mid, "c", role, content, status, "2026-01-01T00:00:00Z")


def conv(cid: str, updated: str, title: str = "") -> Conversation:
    return Conversation(cid, title, "2026-01-01T00:00:00Z", updated)


def test_streaming_message_grows_without_a_reset(qtbot: QtBot) -> None:
    model = MessageListModel("c")
    model.set_messages([msg("u", "user", "hi"), msg("a", status="streaming")])
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    model.modelReset.connect(lambda: changed.append(-1))
    model.append_delta("a", "h")
    model.append_delta("a", "i")
    assert changed == [1, 1]
    assert model.index(1).data() == "hi"
    assert [m.id for m in model.streaming()] == ["a"]
    streamed = model.message("a")
    assert streamed is not None
    model.update(replace(streamed, status="complete"))
    assert model.streaming() == []
    assert model.last_assistant() is not None


def test_truncation_for_edit_and_regenerate() -> None:
    model = MessageListModel("c")
    model.set_messages([msg("1", "user"), msg("2"), msg("3", "user"), msg("4")])
    model.remove_after("1")
    assert [m.id for m in model.messages] == ["1"]
    model.append(msg("5"))
    model.remove_from("5")
    assert [m.id for m in model.messages] == ["1"]
    assert model.last_assistant() is None


def test_notes_are_kept_per_message() -> None:
    model = MessageListModel("c")
    model.set_messages([msg("a", status="streaming")])
    model.set_note("a", "Connection lost")
    assert model.index(0).data(MessageListModel.NoteRole) == "Connection lost"
    model.set_note("a", "")
    assert model.note("a") == ""


def test_conversations_newest_first_and_moves() -> None:
    model = ConversationListModel()
    model.set_conversations([conv("a", "1"), conv("b", "3"), conv("c", "2")])
    assert [c.id for c in model.conversations] == ["b", "c", "a"]
    model.touch("a", "4")
    assert [c.id for c in model.conversations] == ["a", "b", "c"]
    model.upsert(conv("d", "0", "old one"))
    assert [c.id for c in model.conversations] == ["a", "b", "c", "d"]
    old = model.get("d")
    assert old is not None
    model.upsert(replace(old, updated_at="3.5"))
    assert [c.id for c in model.conversations] == ["a", "d", "b", "c"]
    model.remove("b")
    assert [c.id for c in model.conversations] == ["a", "d", "c"]
    assert model.index(0).data() == "New conversation"  # untitled
    assert model.index(1).data() == "old one"


def test_in_place_rename_asks_the_controller(qtbot: QtBot) -> None:
    model = ConversationListModel()
    model.set_conversations([conv("a", "1", "before")])
    with qtbot.waitSignal(model.rename_requested) as blocker:
        assert model.setData(model.index(0), "  after  ")
    assert blocker.args == ["a", "after"]
    assert not model.setData(model.index(0), "   ")


def test_titles_from_a_first_message_drop_markdown_marks() -> None:
    assert title_of("# Plan **this** week\n\nUse `code` and a [link](https://x.org).") == (
        "Plan this week Use code and a link."
    )
    assert title_of("snake_case_name and 2*3*4, C# too") == "snake_case_name and 2*3*4, C# too"
    assert title_of("Fix `foo_bar()` in *main*") == "Fix foo_bar() in main"
    assert title_of("**") == "**"  # nothing but marks: kept as typed
    assert title_of("word " * 30) == "word " * 11 + "word…"  # at most 60 characters


def test_a_title_never_shows_a_leading_thinking_block() -> None:
    # The echo provider reasons from `<think>` in the message (PROTOCOL section 8): that
    # part is reasoning, not the question, so the title is the words after it.
    assert title_of("<think>Keep it short.</think>Hello **world**") == "Hello world"
    assert title_of("  <thinking>\nstep one\n</thinking>\n\nWhat is 2+2?") == "What is 2+2?"
    assert title_of("<think>only thinking, never closed") == "only thinking, never closed"
    assert title_of("<think></think>") == "<think></think>"  # nothing else: kept as typed
    assert title_of("Why does <think> appear here?") == "Why does <think> appear here?"


def test_a_long_message_is_titled_from_its_first_words() -> None:
    """A 200 KB paste (or a long reasoning part before the question) is titled like its
    start: only that is read, so sending it costs the window no more than a short one."""
    text = "# Plan **this** week\n\nUse `code` and a [link](https://x.org). " + "word " * 40_000
    assert (
        title_of(text)
        == title_of(text[:300])
        == ("Plan this week Use code and a link. word word word word wor…")
    )
    thought = "<think>" + "step " * 10_000 + "</think>" + text
    assert title_of(thought) == title_of(text)


def test_records_read_the_backend_json() -> None:
    data = {"id": "m", "conversation_id": "c", "role": "assistant", "content": "x"}
    assert Message.from_json({**data, "status": "cancelled"}).status == "cancelled"
    assert Message.from_json(data).status == "complete"  # absent
    # a status PROTOCOL.md does not have is shown like `complete` (no status line)
    assert Message.from_json({**data, "status": "weird"}).status == "complete"
    assert set(STATUSES) == {"streaming", "complete", "cancelled", "failed", "interrupted"}
