"""The /v1 router (PROTOCOL.md section 5), driven by the official `openai` package.

The router runs in the real app (`create_app`, its services started by the lifespan) with a
given responder; everything goes over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI
from openai.types.chat import ChatCompletionMessageParam

from backend.app import create_app
from backend.config import ProviderSettings, Settings
from backend.openai.upstream import OpenAICompatResponder
from backend.responders import EchoResponder, Responder
from tests.support.fake_openai import DEADLINE, LoopbackServer, Upstream, serving

TOKEN = "launch-token-for-tests"
USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi there"}]


def app_with(tmp_path: Path, responder: Responder, **kwargs: Any) -> FastAPI:
    """The real app answering with `responder`; `token=None` turns auth off."""
    token = kwargs.pop("token", TOKEN)
    auth = {"token": token} if token is not None else {"auth": False}
    return create_app(Settings(data_dir=tmp_path / "data", **auth, **kwargs), responder)


@pytest.fixture
def echo_server(tmp_path: Path) -> Iterator[LoopbackServer]:
    with serving(app_with(tmp_path, EchoResponder(delay=0)), lifespan="on") as server:
        yield server


def client(server: LoopbackServer, key: str = TOKEN) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=DEADLINE)


def sse_lines(server: LoopbackServer, body: dict[str, Any]) -> tuple[httpx.Response, list[str]]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=DEADLINE) as http:
        response = http.post("/v1/chat/completions", json=body)
    return response, response.text.split("\n")


# --- the echo responder ---------------------------------------------------------------------


def test_models_list(echo_server: LoopbackServer) -> None:
    models = client(echo_server).models.list()
    assert [(m.id, m.object, m.owned_by) for m in models.data] == [("echo", "model", "echo")]
    assert isinstance(models.data[0].created, int)

    raw = httpx.get(
        f"{echo_server.url}/v1/models", headers={"Authorization": f"Bearer {TOKEN}"}
    ).json()
    assert raw["object"] == "list"
    assert set(raw["data"][0]) == {"id", "object", "created", "owned_by"}


def test_non_streaming_completion(echo_server: LoopbackServer) -> None:
    reply = client(echo_server).chat.completions.create(model="echo", messages=USER)
    assert reply.object == "chat.completion"
    assert reply.id.startswith("chatcmpl-")
    assert reply.model == "echo"
    choice = reply.choices[0]
    assert (choice.message.role, choice.message.content) == ("assistant", "Hi there")
    assert choice.finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.completion_tokens == len("Hi there")  # one per responder chunk
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_streaming_completion(echo_server: LoopbackServer) -> None:
    stream = client(echo_server).chat.completions.create(
        model="echo",
        messages=[{"role": "system", "content": "Be kind."}, *USER],
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hi there"
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)


def test_stream_wire_format(echo_server: LoopbackServer) -> None:
    body = {"model": "any-name", "messages": USER, "stream": True}
    response, lines = sse_lines(echo_server, body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    events = [line for line in lines if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert chunks[-1]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "Hi there"
    assert {c["model"] for c in chunks} == {"echo"}


def test_stream_usage_chunk_when_asked(echo_server: LoopbackServer) -> None:
    body = {
        "model": "echo",
        "messages": USER,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    _, lines = sse_lines(echo_server, body)
    usage_chunk = json.loads([line for line in lines if line][-2].removeprefix("data: "))
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == len("Hi there")


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_stops_after_that_many_chunks(echo_server: LoopbackServer, stream: bool) -> None:
    api = client(echo_server).chat.completions
    if stream:
        chunks = list(api.create(model="echo", messages=USER, max_tokens=3, stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        finish = chunks[-1].choices[0].finish_reason
    else:
        reply = api.create(model="echo", messages=USER, max_tokens=3)
        text, finish = reply.choices[0].message.content or "", reply.choices[0].finish_reason
    assert (text, finish) == ("Hi ", "length")


def test_wrong_key_is_rejected(echo_server: LoopbackServer) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        client(echo_server, key="wrong").chat.completions.create(model="echo", messages=USER)
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"

    with pytest.raises(openai.AuthenticationError):
        client(echo_server, key="wrong").models.list()


def test_missing_key_and_query_token(echo_server: LoopbackServer) -> None:
    missing = httpx.get(f"{echo_server.url}/v1/models")
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert missing.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{echo_server.url}/v1/models", params={"token": TOKEN}).status_code == 200


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"model": "echo"}', "messages"),
        (b'{"model": "echo", "messages": [{"role": "wizard", "content": "x"}]}', "role"),
        (b'{"model": "echo", "messages": "nope"}', "messages"),
        (b"{not json", "not valid JSON"),
    ],
)
def test_validation_errors_use_openai_shape(
    echo_server: LoopbackServer, content: bytes, needle: str
) -> None:
    response = httpx.post(
        f"{echo_server.url}/v1/chat/completions",
        content=content,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    assert error["type"] == "invalid_request_error"
    assert needle in error["message"]


def test_unknown_path_and_wrong_method_use_openai_shape(echo_server: LoopbackServer) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=echo_server.url, headers=headers, timeout=DEADLINE) as http:
        unknown = http.post("/v1/embeddings", json={})
        wrong_method = http.get("/v1/chat/completions")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_url"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_content_limit(tmp_path: Path) -> None:
    app = app_with(tmp_path, EchoResponder(delay=0), max_content_chars=5)
    with serving(app, lifespan="on") as server, pytest.raises(openai.APIStatusError) as info:
        client(server).chat.completions.create(model="echo", messages=USER)
    assert info.value.status_code == 413
    assert "messages[0].content is longer than 5 characters" in info.value.message


def test_strict_model_names(tmp_path: Path) -> None:
    app = app_with(tmp_path, EchoResponder(delay=0), strict_model=True)
    with serving(app, lifespan="on") as server:
        with pytest.raises(openai.NotFoundError) as info:
            client(server).chat.completions.create(model="gpt-4o", messages=USER)
        assert info.value.code == "model_not_found"
        reply = client(server).chat.completions.create(model="echo", messages=USER)
        assert reply.choices[0].message.content == "Hi there"


def test_no_token_configured_means_no_auth(tmp_path: Path) -> None:
    with serving(app_with(tmp_path, EchoResponder(delay=0), token=None), lifespan="on") as server:
        assert httpx.get(f"{server.url}/v1/models").status_code == 200


def test_unconfigured_router_answers_503() -> None:
    from backend.routers.openai_api import router

    app = FastAPI()
    app.include_router(router)
    with serving(app) as server:
        response = httpx.get(f"{server.url}/v1/models")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"


# --- through the upstream responder ---------------------------------------------------------


@dataclass
class Proxy:
    """The router in front of the fake upstream; `use(model)` picks the fake's behaviour."""

    server: LoopbackServer
    upstream: Upstream

    def use(self, model: str) -> None:
        """Switch the app's provider to the fake upstream's `model` (as Settings would)."""
        provider = upstream_provider(self.upstream, model)
        body = {
            "provider": provider.provider,
            "base_url": provider.base_url,
            "api_key": provider.api_key,
            "model": provider.model,
            "system_prompt": provider.system_prompt,
        }
        headers = {"Authorization": f"Bearer {TOKEN}"}
        answer = httpx.put(f"{self.server.url}/api/settings", json=body, headers=headers)
        assert answer.status_code == 200, answer.text


def upstream_provider(upstream: Upstream, model: str) -> ProviderSettings:
    return ProviderSettings(
        provider="openai",
        base_url=upstream.base_url,
        api_key="sk-test-key",
        model=model,
        system_prompt="Be brief.",
    )


def upstream_responder(upstream: Upstream, model: str) -> OpenAICompatResponder:
    return OpenAICompatResponder(
        upstream.base_url, "sk-test-key", model, system_prompt="Be brief.", read_timeout=5
    )


@pytest.fixture
def proxy(upstream: Upstream, tmp_path: Path) -> Iterator[Proxy]:
    app = app_with(tmp_path, upstream_responder(upstream, "llama3.2"))
    with serving(app, lifespan="on") as server:
        yield Proxy(server, upstream)


def test_openai_client_through_router_and_upstream(proxy: Proxy) -> None:
    server, up = proxy.server, proxy.upstream
    stream = client(server).chat.completions.create(model="llama3.2", messages=USER, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "Hello, world!"
    assert up.fake.last.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi there"},
    ]
    assert client(server).models.list().data[0].id == "llama3.2"


def test_upstream_failures_become_openai_errors(proxy: Proxy) -> None:
    server = proxy.server
    api = client(server).chat.completions

    proxy.use("busy")
    with pytest.raises(openai.RateLimitError) as limited:
        api.create(model="x", messages=USER, stream=True)
    assert limited.value.response.headers["retry-after"] == "7"
    assert "Rate limit reached for requests" in limited.value.message

    proxy.use("broken")
    with pytest.raises(openai.APIStatusError) as broken:
        api.create(model="x", messages=USER)
    assert broken.value.status_code == 502
    assert "CUDA out of memory" in broken.value.message

    proxy.use("error-chunk")
    pieces: list[str] = []
    with pytest.raises(openai.APIError) as mid_stream:
        for chunk in api.create(model="x", messages=USER, stream=True):
            pieces.append(chunk.choices[0].delta.content or "")
    assert "".join(pieces) == "Hello"
    assert "context length exceeded" in mid_stream.value.message


def test_client_going_away_closes_the_upstream_connection(
    proxy: Proxy,
) -> None:
    server, up = proxy.server, proxy.upstream
    proxy.use("stall-mid")
    stream = client(server).chat.completions.create(model="x", messages=USER, stream=True)
    iterator = iter(stream)
    assert next(iterator).choices[0].delta.role == "assistant"
    stream.close()
    assert up.fake.disconnected.wait(DEADLINE)
