"""OpenAI's chat-completions wire format, as served by `routers/openai_api.py`.

Request bodies (Pydantic), the `chat.completion` / `chat.completion.chunk` objects,
SSE framing and the `{"error": {"message", "type", "code"}}` error shape. No I/O here.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

WireRole = Literal["system", "developer", "user", "assistant"]


class TextPart(BaseModel):
    """One element of an array `content` (only text parts are supported)."""

    type: Literal["text"]
    text: str


class WireMessage(BaseModel):
    role: WireRole
    content: str | list[TextPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's request this app honours; other fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1)
    messages: list[WireMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream_options: StreamOptions | None = None

    @property
    def token_limit(self) -> int | None:
        """`max_tokens` or the newer `max_completion_tokens` (the smaller, if both are given)."""
        limits = [n for n in (self.max_tokens, self.max_completion_tokens) if n is not None]
        return min(limits) if limits else None

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class OpenAIAPIError(Exception):
    """An error answered in OpenAI's shape: `{"error": {"message", "type", "code"}}`."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.message, type=self.type, code=self.code, param=self.param)

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status_code, headers=self.headers)


def error_body(
    message: str, *, type: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def new_completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(12)}"


def now() -> int:
    return int(time.time())


def estimate_tokens(texts: Sequence[str]) -> int:
    """A rough token count (about four characters per token); no tokenizer is involved."""
    return sum(math.ceil(len(text) / 4) for text in texts)


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def model_entry(model_id: str, *, created: int, owned_by: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def chunk(
    completion_id: str,
    *,
    created: int,
    model: str,
    delta: Mapping[str, str] | None = None,
    finish_reason: str | None = None,
    usage_: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A `chat.completion.chunk`; with `usage_` it is the usage chunk (`choices: []`)."""
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
    }
    if usage_ is not None:
        body["usage"] = dict(usage_)
    else:
        body["choices"] = [
            {
                "index": 0,
                "delta": dict(delta or {}),
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ]
    return body


def completion(
    completion_id: str,
    *,
    created: int,
    model: str,
    content: str,
    finish_reason: str,
    usage_: Mapping[str, int],
    reasoning: str = "",
) -> dict[str, Any]:
    """A non-streamed `chat.completion` object; reasoning, if any, as `reasoning_content`."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if reasoning:
        message["reasoning_content"] = reasoning
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": dict(usage_),
    }


def sse_data(payload: Mapping[str, Any] | str) -> str:
    """One SSE event: `data: <JSON>` (or a literal such as `[DONE]`) and a blank line."""
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n"


SSE_DONE = sse_data("[DONE]")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_MEDIA_TYPE = "text/event-stream; charset=utf-8"
