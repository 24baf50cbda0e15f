"""A /v1 request's own `temperature` and `max_tokens` reach the upstream, on the real app.

The backend (`create_app`) is configured for the fake upstream with temperature 0.7, as
Settings would do it; the official `openai` package calls its /v1 routes over loopback
HTTP, and the fake records the body each request reached it with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from backend.app import create_app
from backend.config import ProviderSettings, Settings
from backend.openai.upstream import OpenAICompatResponder
from backend.responders import EchoResponder, TunableResponder
from tests.support.fake_openai import DEADLINE, LoopbackServer, Upstream, serving
from tests.support.waiting import wait_until

CONFIGURED_TEMPERATURE = 0.7
KEY = "sk-test-key"  # the key the fake upstream accepts
USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi there"}]
UPSTREAM_TEXT = "Hello, world!"  # the fake's four pieces: "Hel", "lo", ", wor", "ld!"


@dataclass
class Backend:
    server: LoopbackServer
    settings: Settings

    @property
    def api(self) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.server.url}/v1",
            api_key=self.settings.token,
            max_retries=0,
            timeout=DEADLINE,
        )

    def complete(self, *, stream: bool, **options: Any) -> tuple[str, str | None]:
        """The reply text and finish_reason of one /v1 chat completion."""
        api = self.api.chat.completions
        if stream:
            chunks = list(api.create(model="any", messages=USER, stream=True, **options))
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            return text, chunks[-1].choices[0].finish_reason
        reply = api.create(model="any", messages=USER, **options)
        return reply.choices[0].message.content or "", reply.choices[0].finish_reason


@contextmanager
def running(tmp_path: Path, provider: ProviderSettings) -> Iterator[Backend]:
    settings = Settings(data_dir=tmp_path / "data", echo_delay=0, provider=provider)
    with serving(create_app(settings), lifespan="on") as server:
        yield Backend(server, settings)


def upstream_provider(upstream: Upstream, model: str = "llama3.2") -> ProviderSettings:
    return ProviderSettings(
        provider="openai",
        base_url=upstream.base_url,
        api_key=KEY,
        model=model,
        temperature=CONFIGURED_TEMPERATURE,
    )


@pytest.fixture
def backend(tmp_path: Path, upstream: Upstream) -> Iterator[Backend]:
    with running(tmp_path, upstream_provider(upstream)) as running_backend:
        yield running_backend


STREAM = pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])


@STREAM
def test_request_temperature_and_max_tokens_reach_the_upstream(
    backend: Backend, upstream: Upstream, stream: bool
) -> None:
    text, finish = backend.complete(stream=stream, temperature=0.3, max_tokens=5)

    sent = upstream.fake.last.body
    assert (sent["temperature"], sent["max_tokens"]) == (0.3, 5)
    assert "max_completion_tokens" not in sent
    assert (text, finish) == (UPSTREAM_TEXT, "stop")  # four pieces fit in five tokens


@STREAM
def test_without_options_the_upstream_gets_the_configured_ones(
    backend: Backend, upstream: Upstream, stream: bool
) -> None:
    backend.complete(stream=stream, temperature=0.3, max_tokens=5)  # must not stick
    text, finish = backend.complete(stream=stream)

    sent = upstream.fake.last.body
    assert sent["temperature"] == CONFIGURED_TEMPERATURE
    assert "max_tokens" not in sent
    assert (text, finish) == (UPSTREAM_TEXT, "stop")


@STREAM
def test_max_completion_tokens_goes_upstream_as_max_tokens_and_length_comes_back(
    backend: Backend, upstream: Upstream, stream: bool
) -> None:
    text, finish = backend.complete(stream=stream, max_completion_tokens=2)

    sent = upstream.fake.last.body
    assert sent["max_tokens"] == 2 and "max_completion_tokens" not in sent
    assert sent["temperature"] == CONFIGURED_TEMPERATURE
    assert (text, finish) == ("Hello", "length")  # the upstream's own finish_reason


@STREAM
def test_finish_reason_is_the_upstreams_not_a_chunk_count(
    backend: Backend, upstream: Upstream, stream: bool
) -> None:
    # Four pieces with max_tokens=4: the reply ends naturally, and the upstream says "stop"
    # (counting chunks locally, as is done for echo, would have called it "length").
    assert backend.complete(stream=stream, max_tokens=4) == (UPSTREAM_TEXT, "stop")
    assert upstream.fake.last.body["max_tokens"] == 4


def test_finish_reason_of_an_upstream_that_ignores_stream(
    tmp_path: Path, upstream: Upstream
) -> None:
    with running(tmp_path, upstream_provider(upstream, "json-answer")) as backend:
        assert backend.complete(stream=False, max_tokens=3) == ("Hello, wor", "length")
        assert backend.complete(stream=True) == (UPSTREAM_TEXT, "stop")


def test_chat_turns_still_use_the_configured_options(backend: Backend, upstream: Upstream) -> None:
    backend.complete(stream=True, temperature=0.3, max_tokens=5)
    headers = {"Authorization": f"Bearer {backend.settings.token}"}
    with httpx.Client(base_url=backend.server.url, headers=headers, timeout=DEADLINE) as http:
        cid = http.post("/api/conversations", json={}).json()["id"]
        sent = http.post(f"/api/conversations/{cid}/messages", json={"content": "hi"})
        assert sent.status_code == 202, sent.text

        def reply_done() -> bool:
            messages = http.get(f"/api/conversations/{cid}").json()["messages"]
            return bool(messages[-1]["status"] == "complete")

        assert wait_until(reply_done, timeout=DEADLINE)
    body = upstream.fake.last.body
    assert body["messages"][-1] == {"role": "user", "content": "hi"}
    assert body["temperature"] == CONFIGURED_TEMPERATURE
    assert "max_tokens" not in body


@STREAM
def test_echo_provider_cuts_after_max_tokens_chunks(tmp_path: Path, stream: bool) -> None:
    with running(tmp_path, ProviderSettings(echo_delay=0)) as backend:
        assert backend.complete(stream=stream, max_completion_tokens=2) == ("Hi", "length")
        # Echo has no tokens: the router counts its chunks (one code point each), and a
        # reply that fills max_tokens exactly is reported as cut, as before.
        assert backend.complete(stream=stream, max_tokens=8) == ("Hi there", "length")
        assert backend.complete(stream=stream, max_tokens=9) == ("Hi there", "stop")


def test_with_options_makes_a_copy_and_keeps_the_configured_values() -> None:
    configured = OpenAICompatResponder(
        "http://127.0.0.1:1/v1", None, "m", temperature=CONFIGURED_TEMPERATURE
    )
    tuned = configured.with_options(temperature=0.3, max_tokens=5)
    kept = configured.with_options()

    assert isinstance(configured, TunableResponder)
    assert not isinstance(EchoResponder(0), TunableResponder)  # echo: the router cuts
    assert tuned is not configured and kept is not configured
    assert (tuned.temperature, tuned.max_tokens) == (0.3, 5)
    assert (kept.temperature, kept.max_tokens) == (CONFIGURED_TEMPERATURE, None)
    assert (configured.temperature, configured.max_tokens) == (CONFIGURED_TEMPERATURE, None)
    assert "max_tokens" not in configured.payload([])
    assert tuned.payload([])["max_tokens"] == 5
