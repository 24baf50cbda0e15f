"""Checks of a chat database's invariants, read next to a running server.

`read_db` opens a read-only connection; `integrity` is SQLite's integrity check;
`store_problems` lists every broken invariant of the history (orphans, times, double
streaming, the conversation tree, the search index), an empty list when there is none.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def read_db(path: Path) -> sqlite3.Connection:
    """A read-only connection to a chat database (WAL allows reading next to the server)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    return conn


def integrity(path: Path) -> str:
    conn = read_db(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


# Counts that must be 0, each with what a non-zero count means. The tree (PROTOCOL.md
# section 7): parents in the same conversation, a head that is one of its messages (null
# only when it has none), the search index in step.
_MUST_BE_NONE: tuple[tuple[str, str], ...] = (
    (
        "SELECT COUNT(*) FROM messages m LEFT JOIN conversations c"
        " ON c.id = m.conversation_id WHERE c.id IS NULL",
        "{} orphan messages",
    ),
    (
        "SELECT COUNT(*) FROM messages m JOIN messages p ON p.id = m.parent_id"
        " WHERE p.conversation_id != m.conversation_id",
        "{} messages whose parent is in another conversation",
    ),
    (
        "SELECT COUNT(*) FROM conversations c WHERE (c.head_id IS NULL AND EXISTS"
        " (SELECT 1 FROM messages WHERE conversation_id = c.id)) OR (c.head_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM messages WHERE id = c.head_id"
        " AND conversation_id = c.id))",
        "{} conversations whose head_id is wrong",
    ),
    (
        "SELECT (SELECT COUNT(*) FROM messages m WHERE NOT EXISTS"
        " (SELECT 1 FROM messages_fts_docsize d WHERE d.id = m.num) AND NOT EXISTS"
        " (SELECT 1 FROM search_backlog b WHERE b.num = m.num))"
        " + (SELECT COUNT(*) FROM messages_fts_docsize d WHERE NOT EXISTS"
        " (SELECT 1 FROM messages m WHERE m.num = d.id) OR EXISTS"
        " (SELECT 1 FROM search_backlog b WHERE b.num = d.id))",
        "{} messages out of step with the search index",
    ),
)


def store_problems(path: Path) -> list[str]:
    """Broken invariants of the chat history: orphans, times, double streaming, the tree."""
    conn = read_db(path)
    try:
        problems: list[str] = []
        for sql, problem in _MUST_BE_NONE:
            count = conn.execute(sql).fetchone()[0]
            if count:
                problems.append(problem.format(count))
        stale = conn.execute(
            "SELECT c.id, c.updated_at, MAX(m.created_at) AS newest FROM conversations c"
            " JOIN messages m ON m.conversation_id = c.id GROUP BY c.id"
            " HAVING c.updated_at < newest"
        ).fetchall()
        problems += [
            f"conversation {r['id']} updated_at {r['updated_at']} < message {r['newest']}"
            for r in stale
        ]
        double = conn.execute(
            "SELECT conversation_id, COUNT(*) AS n FROM messages WHERE status = 'streaming'"
            " GROUP BY conversation_id HAVING n > 1"
        ).fetchall()
        problems += [f"{r['n']} streaming replies in {r['conversation_id']}" for r in double]
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            problems.append(f"integrity_check: {check}")
        return problems
    finally:
        conn.close()
