"""What an imported conversation becomes (PROTOCOL.md section 10): our own export format and
ChatGPT's `conversations.json`, each item turned into an `ImportedConversation` or refused
with `Unreadable` (a reason a person can read).

From ChatGPT only what a person saw is kept: user and assistant text (`text`, and the strings
of `multimodal_text`; an image part becomes `[image]`, an attached file `[file]`). A `thoughts`
or `reasoning_recap` message becomes the reasoning of the assistant message below it; system,
tool and hidden messages (and assistant messages addressed to a tool) are left out, their
children re-attached to the nearest kept ancestor. Messages are ordered parents first, then
by their times, which is their creation order in the store.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.records import Role
from backend.schemas import DEFAULT_TITLE, MAX_TITLE_CHARS

_NO_TIME = float("inf")


class Unreadable(ValueError):
    """This conversation of the file cannot be imported (the reason is the message)."""


@dataclass(slots=True)
class ImportedMessage:
    key: str  # its id in the file
    parent: str | None  # the key of the kept message it follows
    role: Role
    content: str
    created_at: str
    reasoning: str = ""


@dataclass(slots=True)
class ImportedConversation:
    source_id: str
    title: str
    created_at: str
    updated_at: str
    messages: list[ImportedMessage] = field(default_factory=list)
    head: str | None = None  # a key; None: the newest leaf


def clean_text(text: str) -> str:
    """`text` with any lone surrogate (from a `\\ud800` escape) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def title_of(value: Any) -> str:
    title = " ".join(clean_text(value).split()) if isinstance(value, str) else ""
    return title[:MAX_TITLE_CHARS].strip() or DEFAULT_TITLE


def _iso(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )  # fmt: skip


def epoch_of(value: Any) -> float:
    """Seconds since 1970 from an epoch number or an ISO 8601 string; inf when neither."""
    if isinstance(value, bool):
        return _NO_TIME
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:
            return _NO_TIME
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _NO_TIME
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        seconds = parsed.timestamp()
    else:
        return _NO_TIME
    return seconds if math.isfinite(seconds) and 0 <= seconds < 32503680000 else _NO_TIME


def iso_of(seconds: float, fallback: str) -> str:
    return _iso(seconds) if seconds != _NO_TIME else fallback


def ordered(nodes: dict[str, tuple[str | None, float]]) -> list[str]:
    """Keys parents first, then by time; `Unreadable` if some never hang from a root.

    `nodes`: key -> (parent key or None, time). A parent that is not a key counts as none.
    """
    children: dict[str | None, list[tuple[float, int, str]]] = {}
    for index, (key, (parent, when)) in enumerate(nodes.items()):
        parent = parent if parent in nodes else None
        children.setdefault(parent, []).append((when, index, key))
    heap = list(children.get(None, []))
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, _, key = heapq.heappop(heap)
        order.append(key)
        for child in children.get(key, ()):
            heapq.heappush(heap, child)
    if len(order) != len(nodes):
        raise Unreadable("its messages form a cycle (a message is its own ancestor)")
    return order


def source_key(prefix: str, value: Any, *fallback: Any) -> str:
    """The id a source conversation is remembered by (a digest when it has none)."""
    if isinstance(value, str) and value.strip():
        return f"{prefix}:{clean_text(value.strip())[:200]}"
    digest = hashlib.sha256(repr(fallback).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}-digest:{digest}"


# -- our own format ----------------------------------------------------------------------------


def from_own(item: Any, now: str) -> ImportedConversation:
    """A conversation of an `sse-chat` export (every branch, `head_id` its current path)."""
    if not isinstance(item, dict):
        raise Unreadable("it is not a conversation object")
    raw = item.get("messages")
    if not isinstance(raw, list):
        raise Unreadable("it has no list of messages")
    created = iso_of(epoch_of(item.get("created_at")), now)
    conv = ImportedConversation(
        source_key("sse-chat", item.get("id"), item.get("title"), item.get("created_at")),
        title_of(item.get("title")),
        created,
        iso_of(epoch_of(item.get("updated_at")), created),
    )
    by_key: dict[str, ImportedMessage] = {}
    nodes: dict[str, tuple[str | None, float]] = {}
    for position, message in enumerate(raw):
        if not isinstance(message, dict):
            raise Unreadable(f"message {position + 1} is not an object")
        key, role, content = message.get("id"), message.get("role"), message.get("content")
        parent = message.get("parent_id")
        if not isinstance(key, str) or not key:
            raise Unreadable(f"message {position + 1} has no id")
        if key in by_key:
            raise Unreadable(f"two of its messages have the id {key[:40]!r}")
        if role not in ("user", "assistant"):
            raise Unreadable(f"message {position + 1} has the role {str(role)[:20]!r}")
        if not isinstance(content, str):
            raise Unreadable(f"message {position + 1} has no text content")
        if parent is not None and not isinstance(parent, str):
            raise Unreadable(f"message {position + 1} has a parent_id that is not a string")
        when = epoch_of(message.get("created_at"))
        reasoning = message.get("reasoning")
        by_key[key] = ImportedMessage(
            key,
            parent,
            role,
            clean_text(content),
            iso_of(when, created),
            clean_text(reasoning) if isinstance(reasoning, str) else "",
        )
        nodes[key] = (parent, float(position))  # the file's order is creation order
    for key, (parent, _) in nodes.items():
        if parent is not None and parent not in nodes:
            raise Unreadable(f"message {key[:40]!r} follows a message that is not in the file")
    conv.messages = [by_key[k] for k in ordered(nodes)]
    head = item.get("head_id")
    conv.head = head if isinstance(head, str) and head in by_key else None
    return conv


# -- ChatGPT --------------------------------------------------------------------------------


def looks_like_chatgpt(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("mapping"), dict)


def _visible_text(message: dict[str, Any], content: dict[str, Any]) -> str:
    kind = content.get("content_type")
    pieces: list[str] = []
    for part in content.get("parts") or ():
        if isinstance(part, str):
            if part:
                pieces.append(part)
        elif kind == "multimodal_text" and isinstance(part, dict):
            part_type = str(part.get("content_type", ""))
            pieces.append("[image]" if "image" in part_type else "[file]")
    metadata = message.get("metadata")
    attachments = metadata.get("attachments") if isinstance(metadata, dict) else None
    for attachment in attachments if isinstance(attachments, list) else ():
        mime = attachment.get("mime_type") or attachment.get("mimeType") or ""
        if not (isinstance(mime, str) and mime.startswith("image/")):
            pieces.append("[file]")
    return clean_text("\n".join(pieces))


def _reasoning_text(content: dict[str, Any]) -> str:
    if content.get("content_type") == "reasoning_recap":
        text = content.get("content")
        return clean_text(text) if isinstance(text, str) else ""
    pieces: list[str] = []
    for thought in content.get("thoughts") or ():
        if isinstance(thought, dict):
            for name in ("summary", "content"):
                if isinstance(thought.get(name), str) and thought[name].strip():
                    pieces.append(thought[name].strip())
    return clean_text("\n\n".join(pieces))


def _classify(node: Any) -> tuple[str, Role | None, str]:
    """("keep", role, text), ("reasoning", None, text) or ("drop", None, "")."""
    message = node.get("message") if isinstance(node, dict) else None
    if not isinstance(message, dict):
        return "drop", None, ""
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
        return "drop", None, ""
    content = message.get("content")
    if not isinstance(content, dict):
        return "drop", None, ""
    if content.get("content_type") in ("thoughts", "reasoning_recap"):
        return "reasoning", None, _reasoning_text(content)
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if role not in ("user", "assistant") or message.get("recipient", "all") not in ("all", None):
        return "drop", None, ""
    if content.get("content_type") not in ("text", "multimodal_text"):
        return "drop", None, ""
    text = _visible_text(message, content)
    return ("keep", role, text) if text.strip() else ("drop", None, "")


def from_chatgpt(item: Any, now: str) -> ImportedConversation:
    """One conversation of a ChatGPT export: its `mapping` tree and `current_node`."""
    if not looks_like_chatgpt(item):
        raise Unreadable("it is not a ChatGPT conversation (no mapping)")
    mapping: dict[str, Any] = item["mapping"]
    created_s = epoch_of(item.get("create_time"))
    created = iso_of(created_s, now)
    conv = ImportedConversation(
        source_key(
            "chatgpt",
            item.get("conversation_id") or item.get("id"),
            item.get("title"),
            item.get("create_time"),
            sorted(mapping)[:20],
        ),
        title_of(item.get("title")),
        created,
        iso_of(epoch_of(item.get("update_time")), created),
    )
    nodes: dict[str, tuple[str | None, float]] = {}
    for key, node in mapping.items():
        parent = node.get("parent") if isinstance(node, dict) else None
        message = node.get("message") if isinstance(node, dict) else None
        when = epoch_of(message.get("create_time")) if isinstance(message, dict) else _NO_TIME
        nodes[key] = (parent if isinstance(parent, str) else None, when)
    kept_parent: dict[str, str | None] = {}  # node -> its nearest kept ancestor-or-self
    pending: dict[str, tuple[str, ...]] = {}  # node -> reasoning waiting for a reply below
    for key in ordered(nodes):
        parent = nodes[key][0] if nodes[key][0] in nodes else None
        above = kept_parent.get(parent) if parent is not None else None
        waiting = pending.get(parent, ()) if parent is not None else ()
        verdict, role, text = _classify(mapping[key])
        if verdict == "keep" and role is not None:
            when = nodes[key][1]
            reasoning = "\n\n".join(t for t in waiting if t) if role == "assistant" else ""
            conv.messages.append(
                ImportedMessage(key, above, role, text, iso_of(when, created), reasoning)
            )
            kept_parent[key], pending[key] = key, ()
        else:
            kept_parent[key] = above
            pending[key] = (*waiting, text) if verdict == "reasoning" else waiting
    current = item.get("current_node")
    conv.head = kept_parent.get(current) if isinstance(current, str) else None
    return conv
