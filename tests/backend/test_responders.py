"""EchoResponder: the text back a code point at a time, and how often it lets the loop run."""

from __future__ import annotations

import asyncio

import pytest

from backend import responders
from backend.responders import ChatMessage, EchoResponder


async def echo_with_ticker(text: str) -> tuple[str, int]:
    """The echo of `text`, and how often another task ran while it streamed."""
    ticks = 0
    streaming = True

    async def ticker() -> None:
        nonlocal ticks
        while streaming:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # the ticker's first run, before the stream starts
    ticks = 0
    chunks = [c async for c in EchoResponder(0).stream([ChatMessage("user", text)])]
    streaming = False
    await task
    assert all(len(c) == 1 for c in chunks)
    return "".join(chunks), ticks


def test_without_a_pause_the_echo_hands_the_loop_back_once_it_has_run_its_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "é😀" * 500
    monkeypatch.setattr(responders, "YIELD_INTERVAL", 0.0)  # always due: every CLOCK_EVERY
    echoed, ticks = asyncio.run(echo_with_ticker(text))
    assert echoed == text and ticks == (len(text) - 1) // responders.CLOCK_EVERY


def test_without_a_pause_the_echo_keeps_the_loop_until_its_interval_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "é😀" * 500
    monkeypatch.setattr(responders, "YIELD_INTERVAL", 3600.0)  # never due in this test
    echoed, ticks = asyncio.run(echo_with_ticker(text))
    assert echoed == text and ticks == 0
