"""Pydantic models of every request body and answer (PROTOCOL.md section 2 and 3)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator

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
from backend.records import PartType, Role, Status

DEFAULT_TITLE = "New conversation"
MAX_TITLE_CHARS = 200


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class ConversationOut(_Out):
    id: str
    title: str
    created_at: str
    updated_at: str
    # Section 11: this conversation's own model and system prompt (null = the default).
    model: str | None = None
    system_prompt: str | None = None
    head_id: str | None = None  # section 7

    @classmethod
    def of(cls, conv: records.Conversation) -> ConversationOut:
        return cls.model_validate(conv)


class PartOut(_Out):
    type: PartType
    text: str


class StatsOut(_Out):
    first_token_ms: int | None
    duration_ms: int | None
    prompt_tokens: int | None
    completion_tokens: int | None


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
    # Section 8: the reply's parts, its reasoning, its stats (null for a user message).
    reasoning: str = ""
    parts: list[PartOut] = Field(default_factory=list, validation_alias="all_parts")
    stats: StatsOut | None = None
    # Section 7: the message it follows and its alternatives (itself included).
    parent_id: str | None = None
    siblings: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, message: records.Message) -> MessageOut:
        out = cls.model_validate(message)
        return out if out.siblings else out.model_copy(update={"siblings": [message.id]})


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


class HitOut(_Out):
    """A search hit (section 9); `message_id` and `role` are null for a title."""

    conversation_id: str
    conversation_title: str
    message_id: str | None
    role: Role | None
    created_at: str
    snippet: str
    highlights: list[list[int]]


class ImportSkip(BaseModel):
    title: str
    reason: str


class ImportResult(BaseModel):
    """`POST /api/import` (section 10)."""

    conversations: int
    messages: int
    skipped: list[ImportSkip]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class ConversationCreate(BaseModel):
    title: str | None = None
    model: StrictStr | None = None  # section 11, also settable at creation
    system_prompt: StrictStr | None = None


class ConversationPatch(BaseModel):
    """`PATCH /api/conversations/{cid}`: a field left out is unchanged, null = the default."""

    title: StrictStr | None = None
    model: StrictStr | None = None
    system_prompt: StrictStr | None = None

    def changes(self, max_chars: int) -> dict[str, str | None]:
        """The checked changes (422 for none, a null or blank title, a blank model)."""
        given = {name: getattr(self, name) for name in self.model_fields_set}
        if not given:
            raise Unprocessable("Give at least one of title, model, system_prompt")
        if "title" in given:
            if given["title"] is None:
                raise Unprocessable("The title must be a string")
            given["title"] = checked_title(given["title"])
        if "model" in given:
            given["model"] = checked_model(given["model"])
        if "system_prompt" in given:
            given["system_prompt"] = checked_system_prompt(given["system_prompt"], max_chars)
        return given


class MessageCreate(BaseModel):
    content: str


class HeadChange(BaseModel):
    """`PUT /api/conversations/{cid}/head`."""

    message_id: StrictStr


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
    auto_title: bool
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
            auto_title=settings.auto_title,
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
    auto_title: StrictBool = True
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
            auto_title=self.auto_title,
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


MAX_MODEL_CHARS = 200


def checked_model(model: str | None) -> str | None:
    """A conversation's model: None (the default), or a trimmed non-empty name; else 422."""
    if model is None:
        return None
    model = model.strip()
    if not model:
        raise Unprocessable("The model must not be empty (null means the default)")
    if len(model) > MAX_MODEL_CHARS:
        raise Unprocessable(f"The model is longer than {MAX_MODEL_CHARS} characters")
    check_unicode(model, "The model")
    return model


def checked_system_prompt(prompt: str | None, max_chars: int) -> str | None:
    """A conversation's system prompt: None (the default) or any text ("" = none); 413/422."""
    if prompt is None:
        return None
    if len(prompt) > max_chars:
        raise ContentTooLarge(
            f"The system prompt is {len(prompt)} characters; the limit is {max_chars}"
        )
    check_unicode(prompt, "The system prompt")
    return prompt


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
