"""Pydantic models of every request body and answer (PROTOCOL.md section 2 and 3)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator

from backend import records
from backend.config import (
    DEFAULT_ECHO_DELAY,
    MAX_ECHO_DELAY,
    MAX_TEMPERATURE,
    ProviderName,
    ProviderSettings,
    same_origin,
)
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
    # Extensions of PROTOCOL.md's Message (docs/API-EXTENSIONS.md): what produced a reply.
    provider: str | None = None
    model: str | None = None
    error: str | None = None  # why a `failed` reply failed; null otherwise

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


# -- provider settings (docs/API-EXTENSIONS.md) --------------------------------------------

Temperature = Annotated[float, Field(strict=True, ge=0, le=MAX_TEMPERATURE, allow_inf_nan=False)]
EchoDelay = Annotated[float, Field(strict=True, ge=0, le=MAX_ECHO_DELAY, allow_inf_nan=False)]


class _UnicodeChecked(BaseModel):
    """Refuses (422) a string field holding a lone surrogate: it could never be answered."""

    @model_validator(mode="after")
    def _encodable(self) -> _UnicodeChecked:
        for name, value in self:
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError(f"{name} is not valid Unicode (lone surrogate)") from None
        return self


class ProviderSettingsOut(_Out):
    """`GET`/`PUT /api/settings`: the provider settings, the API key only as `api_key_set`."""

    provider: ProviderName
    base_url: str
    model: str
    system_prompt: str
    temperature: float | None
    echo_delay: float
    api_key_set: bool

    @classmethod
    def of(cls, settings: ProviderSettings) -> ProviderSettingsOut:
        return cls(
            provider=settings.provider,
            base_url=settings.base_url,
            model=settings.model,
            system_prompt=settings.system_prompt,
            temperature=settings.temperature,
            echo_delay=settings.echo_delay,
            api_key_set=bool(settings.api_key),
        )


class ProviderSettingsIn(_UnicodeChecked):
    """`PUT /api/settings`: the whole object; `api_key` omitted keeps, `""` clears the key."""

    model_config = ConfigDict(extra="forbid")

    provider: ProviderName
    base_url: StrictStr = ""
    api_key: StrictStr | None = None
    model: StrictStr = ""
    system_prompt: StrictStr = ""
    temperature: Temperature | None = None
    echo_delay: EchoDelay = DEFAULT_ECHO_DELAY
    api_key_set: bool | None = Field(
        default=None, description="ignored, so that GET's answer can be sent back as it is"
    )

    def to_settings(self, current: ProviderSettings) -> ProviderSettings:
        """The settings this body asks for. Without `api_key` the current key is kept only
        if `base_url` keeps its origin: a key is never sent to another server than the one
        it was given for, and a change of origin without a key clears it."""
        base_url = self.base_url.strip()
        if self.api_key is not None:
            key = self.api_key.strip()
        else:
            key = current.api_key if same_origin(current.base_url, base_url) else ""
        return ProviderSettings(
            provider=self.provider,
            base_url=base_url,
            api_key=key,
            model=self.model.strip(),
            system_prompt=self.system_prompt,
            temperature=self.temperature,
            echo_delay=self.echo_delay,
        )


class ProviderCheckIn(_UnicodeChecked):
    """`POST /api/provider/check`; `api_key` omitted uses the stored key if `base_url` has
    the stored key's origin, else no key."""

    model_config = ConfigDict(extra="forbid")

    provider: ProviderName
    base_url: StrictStr = ""
    api_key: StrictStr | None = None
    model: StrictStr | None = None


class ProviderCheckOut(BaseModel):
    ok: bool
    detail: str
    models: list[str]
    model_found: bool | None


class ModelList(BaseModel):
    models: list[str]


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
