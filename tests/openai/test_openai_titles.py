"""Titles by the model (issue 14, item 4): the real app asks the fake upstream after the first
reply, sets what it answers unless the user renamed meanwhile, and keeps the first-words title
when it fails or when the setting is off."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.app_support import App, app_for
from tests.support.fake_openai import DEADLINE, Upstream
from tests.support.waiting import wait_until

ANSWER = "Hello, world!"  # the fake's reply
THOUGHT = "Let me think."  # and its reasoning

FIRST_WORDS = "Hi there"  # the title a client gives from the first message


@pytest.fixture
def app(tmp_path: Path, upstream: Upstream) -> Iterator[App]:
    with app_for(tmp_path, upstream, "reasoning-content", system_prompt="Be a pirate.") as app:
        yield app


def first_turn(app: App, http: httpx.Client) -> str:
    cid: str = http.post("/api/conversations", json={"title": FIRST_WORDS}).json()["id"]
    app.turn(http, cid, "Hi there, how are you?")
    assert app.finished(http, cid)[-1]["status"] == "complete"
    return cid


def title(http: httpx.Client, cid: str) -> str:
    return str(http.get(f"/api/conversations/{cid}").json()["title"])


def logged(caplog: pytest.LogCaptureFixture, words: str) -> bool:
    return any(words in record.getMessage() for record in caplog.records)


def test_the_model_names_the_conversation_after_its_first_reply(
    app: App, upstream: Upstream
) -> None:
    upstream.fake.title = '<think>They greet me.</think>"Greeting the world."'
    with app.http() as http:
        cid = first_turn(app, http)
        assert wait_until(lambda: title(http, cid) == "Greeting the world", timeout=DEADLINE)
        (request,) = upstream.fake.completions
        body: dict[str, Any] = request.body
        assert body["stream"] is False and body["model"] == "reasoning-content"
        (message,) = body["messages"]  # no system prompt: only the request for a title
        assert message["role"] == "user"
        assert "Hi there, how are you?" in message["content"] and ANSWER in message["content"]
        assert THOUGHT not in message["content"]  # reasoning is never used for a title

        app.turn(http, cid, "And you?")  # later replies ask for no title
        app.finished(http, cid)
        app.turn(http, cid, "Bye")
        app.finished(http, cid)
    assert len(upstream.fake.completions) == 1


def test_a_rename_meanwhile_wins(
    app: App, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="backend.titles")
    gate = upstream.fake.title_gate = threading.Event()
    with app.http() as http:
        cid = first_turn(app, http)
        assert wait_until(lambda: len(upstream.fake.completions) == 1, timeout=DEADLINE)
        assert http.patch(f"/api/conversations/{cid}", json={"title": "Mine"}).status_code == 200
        gate.set()
        assert wait_until(lambda: logged(caplog, "renamed meanwhile"), timeout=DEADLINE)
        assert title(http, cid) == "Mine"


def test_a_failure_keeps_the_first_words_title(
    app: App, upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="backend.titles")
    upstream.fake.title_fails = True
    with app.http() as http:
        cid = first_turn(app, http)
        assert wait_until(
            lambda: logged(caplog, "No title from reasoning-content"), timeout=DEADLINE
        )
        assert "CUDA out of memory" in caplog.text
        assert title(http, cid) == FIRST_WORDS


def test_with_the_setting_off_no_title_is_asked_for(app: App, upstream: Upstream) -> None:
    with app.http() as http:
        settings = http.get("/api/settings").json()
        assert settings["auto_title"] is True  # on by default
        off = http.put("/api/settings", json={**settings, "auto_title": False})
        assert off.status_code == 200 and off.json()["auto_title"] is False
        quiet = first_turn(app, http)
        on = http.put("/api/settings", json={**settings, "auto_title": True})
        assert on.status_code == 200
        named = first_turn(app, http)
        assert wait_until(lambda: title(http, named) == upstream.fake.title, timeout=DEADLINE)
        assert title(http, quiet) == FIRST_WORDS
    assert len(upstream.fake.completions) == 1  # the one for `named` only

    with app.http() as http:
        bad = http.put("/api/settings", json={**settings, "auto_title": "yes"})
        assert bad.status_code == 422
