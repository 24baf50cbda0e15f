"""OpenAICompatResponder, list_models and check_connection against a real loopback fake."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from backend.openai.upstream import (
    OpenAICompatResponder,
    UpstreamError,
    check_connection,
    list_models,
)
from tests.support.fake_openai import DEADLINE, Upstream, closed_port, unanswered_port

T = TypeVar("T")
KEY = "sk-test-key"


@dataclass(frozen=True)
class Msg:
    role: str
    content: str


HELLO = [Msg("user", "Hi")]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))


async def collect(responder: OpenAICompatResponder, messages: list[Msg] = HELLO) -> list[str]:
    """The answer's text pieces (reasoning and usage left out)."""
    return [piece async for piece in responder.stream(messages) if isinstance(piece, str)]


async def failure(responder: OpenAICompatResponder) -> tuple[list[str], UpstreamError]:
    pieces: list[str] = []
    with pytest.raises(UpstreamError) as info:
        async for piece in responder.stream(HELLO):
            if isinstance(piece, str):
                pieces.append(piece)
    return pieces, info.value


def responder(up: Upstream, model: str = "llama3.2", **kwargs: Any) -> OpenAICompatResponder:
    return OpenAICompatResponder(up.base_url, kwargs.pop("api_key", KEY), model, **kwargs)


# --- happy paths ---------------------------------------------------------------------------


def test_streams_delta_content_and_sends_an_openai_request(upstream: Upstream) -> None:
    pieces = run(collect(responder(upstream, temperature=0.2)))

    assert pieces == ["Hel", "lo", ", wor", "ld!"]
    sent = upstream.fake.last
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert "text/event-stream" in sent.headers["accept"]
    assert sent.body == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "temperature": 0.2,
        "stream_options": {"include_usage": True},  # usage asked for (issue 14)
    }


def test_history_goes_upstream_in_order_after_the_system_prompt(upstream: Upstream) -> None:
    history = [
        Msg("user", "What is 2+2?"),
        Msg("assistant", "4"),
        Msg("user", "And times 3?\nShow work."),
    ]
    up = responder(upstream, system_prompt="You are terse.")
    run(collect(up, history))

    body = upstream.fake.last.body
    assert body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And times 3?\nShow work."},
    ]
    assert "temperature" not in body


@pytest.mark.parametrize("model", ["ollama-style", "llamacpp-style", "json-answer"])
def test_other_servers_shapes_give_the_same_text(upstream: Upstream, model: str) -> None:
    assert "".join(run(collect(responder(upstream, model)))) == "Hello, world!"


def test_no_api_key_sends_no_authorization_header(upstream: Upstream) -> None:
    upstream.fake.api_key = None
    assert "".join(run(collect(responder(upstream, api_key=None)))) == "Hello, world!"
    assert "authorization" not in upstream.fake.last.headers


# --- transport failures ---------------------------------------------------------------------


def test_connection_refused_is_reported_plainly() -> None:
    base = f"http://127.0.0.1:{closed_port()}/v1"
    _, error = run(failure(OpenAICompatResponder(base, KEY, "m")))
    assert error.code == "connection_refused"
    assert error.detail == f"Cannot reach {base}: connection refused — is the server running?"


@pytest.mark.skipif(sys.platform == "win32", reason="Windows refuses instead of dropping SYNs")
def test_connect_timeout() -> None:
    with unanswered_port() as port:
        base = f"http://127.0.0.1:{port}/v1"
        _, error = run(failure(OpenAICompatResponder(base, KEY, "m", connect_timeout=0.3)))
    assert error.code == "timeout"
    assert error.detail == f"Cannot reach {base}: no connection within 0.3 s (connect timeout)"


def test_read_timeout_before_the_first_chunk(upstream: Upstream) -> None:
    pieces, error = run(failure(responder(upstream, "stall-first", read_timeout=0.3)))
    assert pieces == []
    assert error.code == "timeout"
    assert "stopped responding: nothing received for 0.3 s (read timeout)" in error.detail


def test_read_timeout_between_chunks_closes_the_connection(upstream: Upstream) -> None:
    pieces, error = run(failure(responder(upstream, "stall-mid", read_timeout=0.3)))
    assert pieces == ["Hel", "lo"]
    assert error.code == "timeout"
    assert upstream.fake.disconnected.wait(DEADLINE)


def test_invalid_base_url() -> None:
    _, error = run(failure(OpenAICompatResponder("localhost:11434/v1", KEY, "m")))
    assert error.code == "bad_url"
    assert "must start with http:// or https://" in error.detail


# --- HTTP error answers --------------------------------------------------------------------


def test_401_bad_key(upstream: Upstream) -> None:
    _, error = run(failure(responder(upstream, api_key="sk-wrong-SECRET")))
    assert (error.code, error.status) == ("unauthorized", 401)
    assert "rejected the API key (401 Unauthorized): Incorrect API key provided." in error.detail
    assert "Check the API key in Settings." in error.detail
    assert "SECRET" not in error.detail


def test_404_unknown_model(upstream: Upstream) -> None:
    _, error = run(failure(responder(upstream, "missing-model")))
    assert (error.code, error.status) == ("not_found", 404)
    assert "The model `missing-model` does not exist." in error.detail
    assert "Check the model 'missing-model' or the base URL (it usually" in error.detail


def test_404_wrong_base_url(upstream: Upstream) -> None:
    up = OpenAICompatResponder(upstream.server.url, KEY, "llama3.2")  # no /v1
    _, error = run(failure(up))
    assert error.status == 404
    assert "for /chat/completions" in error.detail


def test_redirect_is_not_followed_but_explained(upstream: Upstream) -> None:
    up = OpenAICompatResponder(f"{upstream.server.url}/old/v1", KEY, "llama3.2")
    _, error = run(failure(up))
    assert (error.code, error.status) == ("bad_url", 308)
    assert "redirected the request (308 Permanent Redirect) to /v1/chat/completions" in error.detail


def test_429_carries_retry_after_and_the_upstream_message(upstream: Upstream) -> None:
    _, error = run(failure(responder(upstream, "busy")))
    assert (error.code, error.status, error.retry_after) == ("rate_limited", 429, "7")
    assert "rate limiting requests (429 Too Many Requests; retry after 7 s)" in error.detail
    assert error.detail.endswith(": Rate limit reached for requests")


def test_500(upstream: Upstream) -> None:
    _, error = run(failure(responder(upstream, "broken")))
    assert (error.code, error.status) == ("server_error", 500)
    assert error.detail.endswith("failed with 500 Internal Server Error: CUDA out of memory")


# --- malformed or failing streams -------------------------------------------------------------


def test_non_json_chunk(upstream: Upstream) -> None:
    pieces, error = run(failure(responder(upstream, "garbage")))
    assert pieces == ["Hel", "lo"]
    assert error.code == "malformed"
    assert "sent a malformed stream chunk (not JSON): '{not json'" in error.detail


def test_chunk_without_choices(upstream: Upstream) -> None:
    _, error = run(failure(responder(upstream, "no-choices")))
    assert error.code == "malformed"
    assert "(no 'choices' list)" in error.detail


def test_error_object_in_the_stream(upstream: Upstream) -> None:
    pieces, error = run(failure(responder(upstream, "error-chunk")))
    assert pieces == ["Hel", "lo"]
    assert error.code == "upstream_error"
    assert "reported an error mid-stream: context length exceeded" in error.detail


def test_stream_cut_short_without_done(upstream: Upstream) -> None:
    pieces, error = run(failure(responder(upstream, "cut-short")))
    assert pieces == ["Hel", "lo"]
    assert error.code == "connection_lost"


# --- closing and cancelling ---------------------------------------------------------------


def test_aclose_closes_the_upstream_connection(upstream: Upstream) -> None:
    async def scenario() -> None:
        stream = responder(upstream, "stall-mid").stream(HELLO)
        assert [await anext(stream), await anext(stream)] == ["Hel", "lo"]
        await stream.aclose()  # type: ignore[attr-defined]

    run(scenario())
    assert upstream.fake.disconnected.wait(DEADLINE)


@pytest.mark.parametrize(("model", "before_cancel"), [("stall-mid", 2), ("stall-first", 0)])
def test_cancelling_the_consumer_closes_the_upstream_connection(
    upstream: Upstream, model: str, before_cancel: int
) -> None:
    async def scenario() -> None:
        got: list[object] = []

        async def consume() -> None:
            async for piece in responder(upstream, model).stream(HELLO):
                got.append(piece)

        task = asyncio.create_task(consume())
        # Wait until the fake is streaming (and stalled) before cancelling.
        while len(got) < before_cancel or not upstream.fake.streaming.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(got) == before_cancel

    run(scenario())
    assert upstream.fake.disconnected.wait(DEADLINE)


# --- model list and connection check ------------------------------------------------------------


def test_list_models(upstream: Upstream) -> None:
    assert run(list_models(upstream.base_url + "/", KEY)) == ["llama3.2", "qwen2.5:7b"]
    assert upstream.fake.last.headers["authorization"] == f"Bearer {KEY}"


def test_check_connection_ok_and_model_lookup(upstream: Upstream) -> None:
    found = run(check_connection(upstream.base_url, KEY, "qwen2.5:7b"))
    assert (found.ok, found.model_found, found.models) == (True, True, ["llama3.2", "qwen2.5:7b"])
    assert found.detail == f"Connected to {upstream.base_url}: 2 model(s) available"

    missing = run(check_connection(upstream.base_url, KEY, "gpt-4o"))
    assert (missing.ok, missing.model_found) == (True, False)
    assert "'gpt-4o' is not among them (llama3.2, qwen2.5:7b)" in missing.detail


def test_check_connection_reports_the_exact_failure(upstream: Upstream) -> None:
    bad_key = run(check_connection(upstream.base_url, "sk-nope"))
    assert not bad_key.ok
    assert "rejected the API key (401 Unauthorized)" in bad_key.detail

    base = f"http://127.0.0.1:{closed_port()}/v1"
    refused = run(check_connection(base, KEY))
    assert (refused.ok, refused.models) == (False, [])
    assert refused.detail == f"Cannot reach {base}: connection refused — is the server running?"


def test_the_api_key_is_never_logged(upstream: Upstream, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    up = responder(upstream)
    run(collect(up))
    run(list_models(upstream.base_url, KEY))
    run(failure(responder(upstream, "busy")))
    assert "upstream request: POST" in caplog.text
    assert KEY not in caplog.text
    assert KEY not in repr(up)
