"""Plain records the store hands out (independent of HTTP and Pydantic)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Role = Literal["user", "assistant"]
Status = Literal["complete", "streaming", "cancelled", "failed", "interrupted"]

STATUSES: tuple[Status, ...] = ("complete", "streaming", "cancelled", "failed", "interrupted")


def new_id() -> str:
    """An opaque id: a random uuid4 as 32 hex digits."""
    return uuid.uuid4().hex


def utc_now() -> str:
    """The current time as ISO 8601 UTC with microseconds and a trailing 'Z'."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    title: str
    created_at: str
    updated_at: str
    # PROTOCOL.md section 7 (branch tree): the last message of the current path.
    head_id: str | None = None


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
    # PROTOCOL.md section 7 (branch tree): the message it follows, and its alternatives
    # (same parent, itself included, in creation order).
    parent_id: str | None = None
    siblings: tuple[str, ...] = ()
