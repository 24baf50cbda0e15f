"""The desktop's records of what the backend answers: conversations, messages, turns, checks.

Plain frozen dataclasses read from the backend's JSON (`from_json`), with no Qt and no
HTTP: the client makes them, the controller, models and views pass them around. (The
HTTP client is `desktop.client`; views and models never import it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

#: What a message's buttons ask for (`MessageWidget.action_requested` -> `ChatController.act`).
MessageAction = Literal["edit", "regenerate", "retry", "switch", "delete"]

#: A message's `status` (PROTOCOL.md section 2).
MessageStatus = Literal["streaming", "complete", "cancelled", "failed", "interrupted"]
STATUSES: Final[tuple[MessageStatus, ...]] = get_args(MessageStatus)


def message_status(value: Any) -> MessageStatus:
    """`value` as a status; one this client does not know reads as `complete` (shown, like
    `complete`, with no status line)."""
    for status in STATUSES:
        if value == status:
            return status
    return "complete"


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created_at: str
    updated_at: str
    model: str | None = None  # PROTOCOL section 11: None = the app's default
    system_prompt: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            id=str(data["id"]),
            title=str(data.get("title") or ""),
            created_at=str(data.get("created_at", "")),
            updated_at=str(data.get("updated_at", "")),
            model=_optional_str(data.get("model")),
            system_prompt=_optional_str(data.get("system_prompt")),
        )


def _optional_str(value: Any) -> str | None:
    return str(value) if value is not None else None


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Stats:
    """A reply's figures (PROTOCOL.md section 8); any of them may be unknown."""

    first_token_ms: int | None = None
    duration_ms: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Stats | None:
        if not isinstance(data, dict):
            return None
        return cls(
            first_token_ms=_optional_int(data.get("first_token_ms")),
            duration_ms=_optional_int(data.get("duration_ms")),
            prompt_tokens=_optional_int(data.get("prompt_tokens")),
            completion_tokens=_optional_int(data.get("completion_tokens")),
        )


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    role: str
    content: str
    status: MessageStatus
    created_at: str
    #: What produced an assistant reply (docs/API-EXTENSIONS.md); None for user messages.
    provider: str | None = None
    model: str | None = None
    #: Why a reply failed (the `error` event's `detail`); the desktop's own, not stored.
    error: str | None = None
    #: PROTOCOL.md section 8: the reply's reasoning (apart from `content`) and stats.
    reasoning: str = ""
    stats: Stats | None = None
    #: PROTOCOL.md section 7: the alternatives of this message (itself included).
    parent_id: str | None = None
    siblings: tuple[str, ...] = ()

    @property
    def is_user(self) -> bool:
        return self.role == "user"

    @property
    def is_streaming(self) -> bool:
        return self.status == "streaming"

    @classmethod
    def from_json(cls, data: dict[str, Any], error: str | None = None) -> Message:
        return cls(
            id=str(data["id"]),
            conversation_id=str(data.get("conversation_id", "")),
            role=str(data.get("role", "assistant")),
            content=str(data.get("content") or ""),
            status=message_status(data.get("status", "complete")),
            created_at=str(data.get("created_at", "")),
            provider=_optional_str(data.get("provider")),
            model=_optional_str(data.get("model")),
            error=error or _optional_str(data.get("error")),
            reasoning=str(data.get("reasoning") or ""),
            stats=Stats.from_json(data.get("stats")),
            parent_id=_optional_str(data.get("parent_id")),
            siblings=tuple(str(s) for s in data.get("siblings") or ()),
        )


@dataclass(frozen=True)
class Turn:
    """The answer to sending, editing or regenerating: the user message and the new reply."""

    message: Message
    reply: Message

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        return cls(Message.from_json(data["message"]), Message.from_json(data["reply"]))


@dataclass(frozen=True)
class ConversationDetail:
    conversation: Conversation
    messages: list[Message]


@dataclass(frozen=True)
class ProviderCheck:
    """The answer to "Test connection" (`POST /api/provider/check`)."""

    ok: bool
    detail: str
    models: list[str]
    model_found: bool | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProviderCheck:
        found = data.get("model_found")
        return cls(
            ok=bool(data.get("ok")),
            detail=str(data.get("detail") or ""),
            models=[str(m) for m in data.get("models") or []],
            model_found=None if found is None else bool(found),
        )
