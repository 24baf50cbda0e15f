"""Cancelling a reply stops llama.cpp's generation, as its `/slots` endpoint shows.

The long server would generate until its context is full (`LONG_CTX` tokens); a cancel
must leave its slot idle long before that: the app closes the upstream request, and
llama.cpp stops a task whose client went away.
"""

from __future__ import annotations

from llama_support import LONG_CTX, QUESTION, LlamaServer, conversation, follow, stored_messages

from tests.support.http_client import TokenApi
from tests.support.waiting import wait_until


def test_cancelling_a_reply_stops_llama_cpp_s_generation(
    llama_long: LlamaServer, app_long: TokenApi
) -> None:
    cid = conversation(app_long)
    reply_id = app_long.send(cid, QUESTION)["reply"]["id"]
    follow(app_long, reply_id, until_text=True)  # llama.cpp has started to answer
    slot = llama_long.slots()[0]
    assert slot["is_processing"], "llama.cpp finished before the cancel: nothing to test"
    task = slot["id_task"]

    response = app_long.post(f"/api/messages/{reply_id}/cancel")
    assert response.status_code == 202, response.text

    wait_until(llama_long.idle, timeout=10, what="llama.cpp's slot to stop processing")
    slot = llama_long.slots()[0]
    assert slot["id_task"] == task  # the same task, stopped (no other request came)
    decoded = slot["next_token"][0]["n_decoded"]
    assert decoded + slot["n_prompt_tokens"] < LONG_CTX // 2, slot["next_token"]
    stored = stored_messages(app_long, cid)[-1]
    assert stored["status"] == "cancelled"
    assert stored["reasoning"] or stored["content"]
