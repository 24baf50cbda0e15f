"""The app against a real llama.cpp server: what it stores is what llama.cpp answers.

Each test sends the same request the app sends straight to llama-server too (temperature 0,
so the random-weight model's text is the same every time) and compares: the reply's parts,
`content` and `reasoning` (PROTOCOL.md section 8), the events that streamed them (section 4),
the usage figures in `stats`, and what the model was sent in a later turn.
"""

from __future__ import annotations

from typing import Any

from tests.support.http_client import TokenApi
from tests.support.llama_support import (
    FOLLOW_UP,
    MODEL,
    N_PREDICT,
    QUESTION,
    REASONING_BUDGET,
    REQUEST_TIMEOUT,
    LlamaServer,
    Streamed,
    chat_direct,
    conversation,
    follow,
    read_completion,
    stored_messages,
)


def reply_to(api: TokenApi, cid: str, content: str) -> dict[str, Any]:
    """Send `content`, follow the reply to its end, and return the stored reply."""
    turn = api.send(cid, content)
    followed = follow(api, turn["reply"]["id"])
    assert followed.outcome == "end", followed.message
    stored = stored_messages(api, cid)[-1]
    assert stored["id"] == turn["reply"]["id"]
    return stored


def expected_parts(direct: Streamed) -> list[dict[str, str]]:
    parts = [
        {"type": "reasoning", "text": direct.reasoning},
        {"type": "text", "text": direct.content},
    ]
    return [part for part in parts if part["text"]]


def test_llama_cpp_answers_with_reasoning_then_text_the_same_every_time(
    llama: LlamaServer,
) -> None:
    """The tier's premise: this llama-server streams `reasoning_content` (the R1 template
    opens `<think>`; the budget closes it) and then `content`, deterministically."""
    first = chat_direct(llama, [{"role": "user", "content": QUESTION}])
    again = chat_direct(llama, [{"role": "user", "content": QUESTION}])
    assert first.reasoning.strip() and first.content.strip(), first
    assert (again.reasoning, again.content) == (first.reasoning, first.content)
    assert first.usage is not None
    assert first.usage["completion_tokens"] == N_PREDICT > REASONING_BUDGET
    assert first.usage["prompt_tokens"] > 0
    assert first.finish_reason == "length"


def test_the_app_stores_what_llama_cpp_answers(llama: LlamaServer, app: TokenApi) -> None:
    direct = chat_direct(llama, [{"role": "user", "content": QUESTION}])
    cid = conversation(app)
    turn = app.send(cid, QUESTION)
    followed = follow(app, turn["reply"]["id"])

    assert followed.outcome == "end", followed.message
    stored = stored_messages(app, cid)[-1]
    assert stored["status"] == "complete"
    assert stored["content"] == direct.content
    assert stored["reasoning"] == direct.reasoning
    assert stored["parts"] == expected_parts(direct)
    # The event stream carried the same, as `reasoning` and `delta` events, and its ids
    # count code points over both parts (section 4).
    assert (followed.reasoning, followed.text) == (direct.reasoning, direct.content)
    assert followed.last_id == len(direct.reasoning) + len(direct.content)
    assert followed.message["parts"] == stored["parts"]


def test_usage_figures_are_llama_cpp_s(llama: LlamaServer, app: TokenApi) -> None:
    direct = chat_direct(llama, [{"role": "user", "content": QUESTION}])
    assert direct.usage is not None
    stored = reply_to(app, conversation(app), QUESTION)

    stats = stored["stats"]
    assert stats["prompt_tokens"] == direct.usage["prompt_tokens"]
    assert stats["completion_tokens"] == direct.usage["completion_tokens"] == N_PREDICT
    assert isinstance(stats["first_token_ms"], int)
    assert isinstance(stats["duration_ms"], int)
    assert 0 <= stats["first_token_ms"] <= stats["duration_ms"]


def test_a_later_turn_sends_the_answer_without_its_reasoning(
    llama: LlamaServer, app: TokenApi
) -> None:
    """The model is sent earlier replies' text only (section 8): the second turn's prompt has
    as many tokens as that of a request that never had the reasoning, and the reply is the
    one such a request gets (the random model's text follows every token of its prompt)."""
    cid = conversation(app)
    first = reply_to(app, cid, QUESTION)
    second = reply_to(app, cid, FOLLOW_UP)

    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first["content"]},
        {"role": "user", "content": FOLLOW_UP},
    ]
    direct = chat_direct(llama, history)
    assert direct.usage is not None
    assert first["reasoning"] and first["content"]
    assert second["stats"]["prompt_tokens"] == direct.usage["prompt_tokens"]
    assert (second["reasoning"], second["content"]) == (direct.reasoning, direct.content)


def test_v1_chat_completions_passes_llama_cpp_s_reasoning_on(
    llama: LlamaServer, app: TokenApi
) -> None:
    """`/v1/chat/completions` through the app: `delta.reasoning_content` streaming,
    `message.reasoning_content` otherwise, as llama.cpp gave them (section 8)."""
    messages = [{"role": "user", "content": QUESTION}]
    direct = chat_direct(llama, messages, max_tokens=N_PREDICT)
    body = {"model": MODEL, "messages": messages, "temperature": 0, "max_tokens": N_PREDICT}

    with app.post(
        "/v1/chat/completions", json={**body, "stream": True}, stream=True, timeout=REQUEST_TIMEOUT
    ) as response:
        relayed = read_completion(response)
    assert (relayed.reasoning, relayed.content) == (direct.reasoning, direct.content)

    whole = app.post("/v1/chat/completions", json=body, timeout=REQUEST_TIMEOUT)
    assert whole.status_code == 200, whole.text
    message = whole.json()["choices"][0]["message"]
    assert message["reasoning_content"] == direct.reasoning
    assert message["content"] == direct.content
