"""Cancelling a reply stops llama.cpp's generation, as its `/slots` endpoint shows.

The long server generates until its context is full (about 2,000 tokens, several seconds);
a cancel must leave its slot idle at once: the app closes the upstream request, and llama.cpp
stops a task whose client went away. A slot released that way keeps `has_next_token` true;
one whose reply ended by itself (its context full, an end-of-text token) shows false.
"""

from __future__ import annotations

from tests.support.http_client import TokenApi
from tests.support.llama_support import (
    QUESTION,
    LlamaServer,
    chat_direct,
    conversation,
    follow,
    stored_messages,
)
from tests.support.waiting import wait_until


def cancel_mid_generation(llama_long: LlamaServer, api: TokenApi, *, after_text: bool) -> str:
    """Send QUESTION, cancel the reply once llama.cpp is generating it (and, with
    `after_text`, once the app has streamed some of it); return the conversation's id."""
    cid = conversation(api)
    reply_id = api.send(cid, QUESTION)["reply"]["id"]
    if after_text:
        follow(api, reply_id, until_text=True)
    slot = wait_until(llama_long.generating, timeout=10, what="llama.cpp to start generating")
    response = api.post(f"/api/messages/{reply_id}/cancel")
    assert response.status_code == 202, response.text
    wait_until(llama_long.idle, timeout=10, what="llama.cpp's slot to stop processing")
    after = llama_long.slots()[0]
    assert after["id_task"] == slot["id_task"]  # the same task, stopped (no other came)
    assert after["next_token"][0]["has_next_token"], "the reply ran to its end: not stopped"
    return cid


def test_cancelling_a_reply_stops_llama_cpp_s_generation(
    llama_long: LlamaServer, app_long: TokenApi
) -> None:
    cid = cancel_mid_generation(llama_long, app_long, after_text=False)
    assert stored_messages(app_long, cid)[-1]["status"] == "cancelled"


def test_a_reply_cancelled_while_thinking_keeps_its_reasoning(
    llama: LlamaServer, llama_long: LlamaServer, app_long: TokenApi
) -> None:
    """Section 8: a cancelled reply keeps the parts it had. The long server's reply has no
    reasoning budget, so all of it is reasoning; with the same model, prompt and greedy
    sampling it begins as the short server's reasoning does."""
    cid = cancel_mid_generation(llama_long, app_long, after_text=True)
    stored = stored_messages(app_long, cid)[-1]
    assert stored["status"] == "cancelled"
    assert stored["reasoning"] and stored["content"] == ""
    assert stored["parts"] == [{"type": "reasoning", "text": stored["reasoning"]}]
    short = chat_direct(llama, [{"role": "user", "content": QUESTION}]).reasoning
    shorter, longer = sorted((short, stored["reasoning"]), key=len)
    assert longer.startswith(shorter)
