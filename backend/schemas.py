"""Pydantic models of every request body and answer (PROTOCOL.md section 2 and 3)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backend import records
from backend.errors import ContentTooLarge, Unprocessable
from backend.records import Role, Status

DEFAULT_TITLE = "New conversation"
MAX_TITLE_CHARS = 200


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class ConversationOut(_Out):
    id: str
    title: str
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, conv: records.Conversation) -> ConversationOut:
        return cls.model_validate(conv)


class MessageOut(_Out):
    id: str
    conversation_id: str
    role: Role
    content: str
    status: Status
    created_at: str

    @classmethod
    def of(cls, message: records.Message) -> MessageOut:
        return cls.model_validate(message)


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class Turn(_Out):
    message: MessageOut = Field(description="The user's message")
    reply: MessageOut = Field(description="The assistant's reply, status 'streaming'")
    events_url: str

    @classmethod
    def of(cls, user: records.Message, reply: records.Message) -> Turn:
        return cls(
            message=MessageOut.of(user),
            reply=MessageOut.of(reply),
            events_url=f"/api/messages/{reply.id}/events",
        )


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class ConversationCreate(BaseModel):
    title: str | None = None


class ConversationRename(BaseModel):
    title: str


class MessageCreate(BaseModel):
    content: str


class TutorialMessage(BaseModel):
    message: str


def check_unicode(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Unprocessable(f"{what} is not valid Unicode (lone surrogate)") from None


def checked_content(content: str, max_chars: int) -> str:
    """A message's content as given, or 413 (too long) / 422 (blank, invalid)."""
    if len(content) > max_chars:
        raise ContentTooLarge(
            f"Message content is {len(content)} characters; the limit is {max_chars}"
        )
    if not content.strip():
        raise Unprocessable("Message content must not be empty")
    check_unicode(content, "Message content")
    return content


def checked_title(title: str | None) -> str:
    """A trimmed conversation title, the default for None, or 422."""
    if title is None:
        return DEFAULT_TITLE
    title = title.strip()
    if not title:
        raise Unprocessable("The title must not be empty")
    if len(title) > MAX_TITLE_CHARS:
        raise Unprocessable(f"The title is longer than {MAX_TITLE_CHARS} characters")
    check_unicode(title, "The title")
    return title
