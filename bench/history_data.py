"""A large, varied, deterministic chat history for the search and export benchmarks.

`build_history(path, conversations, per_conversation)` fills a fresh database through the
real schema (the search index is kept by its triggers, as in the app) with messages of
about `MEAN_CHARS` characters: English prose, made-up rare words, some Chinese, some code
(`Words`).
"""

from __future__ import annotations

import random
from pathlib import Path

from backend.records import new_id
from backend.store import Store

MEAN_CHARS = 600
_ENGLISH = """the of and to in is that for it as with was on be by this are from or have an
they which one you had not but what all were when we there can more if no out so said"""
ENGLISH = _ENGLISH.split()
_DOMAIN = """database server message reply stream search index branch export import model
token latency window python sqlite query cursor thread socket buffer schema"""
DOMAIN = _DOMAIN.split()
CHINESE = ["分布式数据库系统", "搜索引擎", "机器学习模型", "数据结构", "并发控制", "网络协议"]
CODE = "def handler(request):\n    return {'status': 'ok', 'items': [1, 2, 3]}\n"
LETTERS = "etaoinshrdlcumwfgypbvkjxqz"


def vocabulary(rng: random.Random, size: int = 30_000) -> list[str]:
    """Made-up words of 4 to 10 letters, letters drawn about as often as in English."""
    weights = [1 / (i + 3) for i in range(len(LETTERS))]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(LETTERS, weights, k=rng.randint(4, 10))))
    return sorted(sorted(words), key=lambda w: rng.random())  # (a set's order varies)


class Words:
    """Message texts: runs of English prose (Python's own documentation, `pydoc_data`, so
    common and rare words and real phrases occur as in real text), with a made-up word
    (a rare term) now and then, some Chinese and some code."""

    def __init__(self, rng: random.Random, vocab: list[str]) -> None:
        import pydoc_data.topics

        self.rng = rng
        self.vocab = vocab
        self.prose = " ".join(pydoc_data.topics.topics.values()).split()
        self.words = [*ENGLISH, *DOMAIN, *vocab]

    def text(self) -> str:
        rng = self.rng
        count = int(rng.expovariate(1 / MEAN_CHARS) / 6.5) + 3
        start = rng.randrange(len(self.prose) - count)
        words = self.prose[start : start + count]
        for _ in range(rng.randint(0, 3)):
            at = rng.randrange(len(words) + 1)
            roll = rng.random()
            if roll < 0.7:
                extra = rng.choice(self.vocab[: 1 + int(rng.paretovariate(0.6))])
            elif roll < 0.9:
                extra = rng.choice(CHINESE)
            else:
                extra = CODE
            words.insert(at, extra)
        return " ".join(words)


def build_history(path: Path, conversations: int, per_conversation: int, seed: int = 13) -> int:
    """Create the database at `path`; returns the total characters of message text."""
    rng = random.Random(seed)
    words = Words(rng, vocabulary(rng))
    store = Store.open(path)
    chars = 0
    try:
        for start in range(0, conversations, 500):
            with store.transaction() as conn:
                for c in range(start, min(conversations, start + 500)):
                    cid = new_id()
                    when = f"2025-01-01T00:00:{c % 60:02d}.000000Z"
                    title = " ".join(rng.choice(words.words[60:]) for _ in range(3)).capitalize()
                    conn.execute(
                        "INSERT INTO conversations (id, title, created_at, updated_at)"
                        " VALUES (?,?,?,?)",
                        (cid, title, when, when),
                    )
                    parent = None
                    for seq in range(1, per_conversation + 1):
                        mid = new_id()
                        text = words.text()
                        chars += len(text)
                        conn.execute(
                            "INSERT INTO messages (id, conversation_id, parent_id, seq, role,"
                            " content, status, created_at) VALUES (?,?,?,?,?,?,?,?)",
                            (mid, cid, parent, seq, "user" if seq % 2 else "assistant", text,
                             "complete", when),
                        )  # fmt: skip
                        parent = mid
                    conn.execute("UPDATE conversations SET head_id = ? WHERE id = ?", (parent, cid))
    finally:
        store.close()
    return chars
