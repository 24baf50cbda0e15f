"""What an OpenAI-compatible server sends back, read: stream chunks and whole completions.

A `chat.completion.chunk` carries answer text (`delta.content`), reasoning
(`delta.reasoning_content`: DeepSeek, llama.cpp, LM Studio, vLLM; `delta.reasoning`: Ollama,
newer vLLM), a `finish_reason`, and (the last chunk, when asked with `stream_options`, or
llama.cpp's final chunk) `usage`. Anything else malformed is an `UpstreamError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from httpx_sse import ServerSentEvent

from backend.openai.errors import UpstreamError, clip, error_message, malformed, shown_url
from backend.responders import Usage


@dataclass(frozen=True, slots=True)
class Delta:
    """What one stream chunk adds (None: nothing of that kind)."""

    text: str | None = None
    reasoning: str | None = None
    finish_reason: str | None = None
    usage: Usage | None = None


def _finish(choice: Mapping[str, Any]) -> str | None:
    reason = choice.get("finish_reason")
    return None if reason is None else str(reason)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def usage_of(body: Mapping[str, Any]) -> Usage | None:
    """The `usage` object's token counts, if the body has one."""
    usage = body.get("usage")
    if not isinstance(usage, Mapping):
        return None
    return Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))


def reasoning_of(fields: Mapping[str, Any]) -> str | None:
    """`reasoning_content`, else `reasoning` (servers that send both send the same text)."""
    for key in ("reasoning_content", "reasoning"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def parse_chunk(event: ServerSentEvent, base_url: str) -> Delta:
    """One `chat.completion.chunk` event.

    Chunks without content (OpenAI's and vLLM's role-only first chunk, the usage chunk
    with `choices: []`, the final `delta: {}` chunk) give no text.
    """
    data = event.data
    try:
        chunk = json.loads(data)
    except ValueError:
        raise malformed(base_url, "not JSON", data) from None
    if not isinstance(chunk, Mapping):
        raise malformed(base_url, "not a JSON object", data)
    message = error_message(chunk) if ("error" in chunk or event.event == "error") else None
    if message is None and chunk.get("object") == "error":
        message = error_message(chunk)
    if message is not None or event.event == "error":
        raise UpstreamError(
            f"{shown_url(base_url)} reported an error mid-stream: {clip(message or data)}",
            code="upstream_error",
        )
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise malformed(base_url, "no 'choices' list", data)
    usage = usage_of(chunk)
    if not choices:
        return Delta(usage=usage)
    choice = choices[0]
    if not isinstance(choice, Mapping) or not isinstance(choice.get("delta"), Mapping):
        raise malformed(base_url, "no 'choices[0].delta' object", data)
    delta = choice["delta"]
    content = delta.get("content")
    if content is not None and not isinstance(content, str):
        raise malformed(base_url, "'delta.content' is not a string", data)
    return Delta(content or None, reasoning_of(delta), _finish(choice), usage)


@dataclass(frozen=True, slots=True)
class Completion:
    """A non-streamed `chat.completion` (a server that ignored `stream`, or a title)."""

    text: str
    reasoning: str | None
    finish_reason: str | None
    usage: Usage | None


def parse_completion(body: Any, base_url: str) -> Completion:
    try:
        choice = body["choices"][0]
        message = choice["message"]
        content = message["content"]
    except (KeyError, IndexError, TypeError):
        raise malformed(
            base_url, "JSON answer without choices[0].message", json.dumps(body)
        ) from None
    reasoning = reasoning_of(message) if isinstance(message, Mapping) else None
    return Completion(
        content if isinstance(content, str) else "",
        reasoning,
        _finish(choice) if isinstance(choice, Mapping) else None,
        usage_of(body) if isinstance(body, Mapping) else None,
    )
