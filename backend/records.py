"""Plain records the store hands out (independent of HTTP and Pydantic)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Role = Literal["user", "assistant"]
Status = Literal["complete", "streaming", "cancelled", "failed", "interrupted"]

STATUSES: tuple[Status, ...] = ("complete", "streaming", "cancelled", "failed", "interrupted")
PartType = Literal["reasoning", "text"]  # PROTOCOL.md section 8


def new_id() -> str:
    """An opaque id: a random uuid4 as 32 hex digits (what `uuid.uuid4().hex` gives, in a
    quarter of its time: an import makes one per message)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    return raw.hex()


def utc_now() -> str:
    """The current time as ISO 8601 UTC with microseconds and a trailing 'Z'."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    title: str
    created_at: str
    updated_at: str
    # Section 7: the last message of the current path.
    head_id: str | None = None
    # Section 11: this conversation's own model and system prompt; None = the app's default.
    model: str | None = None
    system_prompt: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a reply of one kind: its reasoning or its answer's text (section 8)."""

    type: PartType
    text: str


@dataclass(frozen=True, slots=True)
class Stats:
    """A reply's timing and the upstream's token counts (section 8); None = not known."""

    first_token_ms: int | None = None
    duration_ms: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


def merged(parts: Iterable[Part]) -> tuple[Part, ...]:
    """`parts` without empty ones, consecutive parts of one type joined."""
    out: list[Part] = []
    for part in parts:
        if not part.text:
            continue
        if out and out[-1].type == part.type:
            out[-1] = Part(part.type, out[-1].text + part.text)
        else:
            out.append(part)
    return tuple(out)


def cut_parts(parts: Sequence[Part], room: int) -> tuple[list[Part], bool]:
    """`parts` cut to `room` code points in all (empty parts left out), and whether any
    text was cut off: a reply at its length limit."""
    kept: list[Part] = []
    for part in parts:
        if len(part.text) > room:
            if room > 0:
                kept.append(Part(part.type, part.text[:room]))
            return kept, True
        if part.text:
            kept.append(part)
            room -= len(part.text)
    return kept, False


def parts_json(parts: Iterable[Part]) -> str | None:
    """Parts as stored: JSON when there is reasoning, else None (the content says it all)."""
    parts = tuple(parts)
    if all(p.type == "text" for p in parts):
        return None
    return json.dumps([{"type": p.type, "text": p.text} for p in parts], ensure_ascii=False)


def parts_from_json(raw: str | None) -> tuple[Part, ...] | None:
    if raw is None:
        return None
    return tuple(Part(item["type"], item["text"]) for item in json.loads(raw))


def text_of(parts: Iterable[Part], kind: PartType = "text") -> str:
    """The concatenation of the parts of one type (`content` or `reasoning`)."""
    return "".join(p.text for p in parts if p.type == kind)


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conversation_id: str
    role: Role
    content: str
    status: Status
    created_at: str
    error: str | None = None
    provider: str | None = None
    model: str | None = None
    # Section 8: `parts` None = the content is the only part (no reasoning).
    parts: tuple[Part, ...] | None = None
    stats: Stats | None = None
    # Section 7: the message it follows, and its alternatives (same parent, itself included,
    # in creation order).
    parent_id: str | None = None
    siblings: tuple[str, ...] = ()

    @property
    def all_parts(self) -> tuple[Part, ...]:
        """The message as its ordered parts (a user message: its text)."""
        if self.parts is not None:
            return self.parts
        return (Part("text", self.content),) if self.content or self.role == "user" else ()

    @property
    def reasoning(self) -> str:
        return text_of(self.all_parts, "reasoning")

    @property
    def length(self) -> int:
        """Code points over all parts: the `id` of the reply's last event (section 4)."""
        return sum(len(p.text) for p in self.all_parts)
