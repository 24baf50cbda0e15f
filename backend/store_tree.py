"""The SQL of a conversation's message tree (PROTOCOL.md section 7), used by `Store`.

Messages point at their parent (`parent_id`); a conversation's `head_id` is the last
message of its current path. Every walk is a recursive CTE over indexed columns
(`messages.id` is unique, `messages_by_parent` is `(parent_id, seq)`, `messages_roots`
the roots of each conversation), so loading a path costs the path, never the whole tree.
Creation order is `seq` (per conversation, increasing).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence

#: The columns of a message row, as `Store` reads them.
MESSAGE_COLUMNS = (
    "id, conversation_id, role, content, status, created_at, error, provider, model, parent_id"
    ", parts, first_token_ms, duration_ms, prompt_tokens, completion_tokens"  # section 8
)

_PATH_UP = """
    WITH RECURSIVE path (id, depth) AS (
        SELECT ?, 0
        UNION ALL
        SELECT m.parent_id, path.depth + 1 FROM messages m JOIN path ON m.id = path.id
        WHERE m.parent_id IS NOT NULL
    )
"""


def path_rows(conn: sqlite3.Connection, head_id: str | None) -> list[sqlite3.Row]:
    """The messages from a root down to `head_id`, oldest first (one indexed query)."""
    if head_id is None:
        return []
    cols = ", ".join(f"m.{c.strip()}" for c in MESSAGE_COLUMNS.split(","))
    return conn.execute(
        f"{_PATH_UP} SELECT {cols}, m.children FROM path JOIN messages m ON m.id = path.id"
        " ORDER BY path.depth DESC",
        (head_id,),
    ).fetchall()


def path_siblings(
    conn: sqlite3.Connection, conversation_id: str, rows: Sequence[sqlite3.Row]
) -> dict[str | None, tuple[str, ...]]:
    """Siblings for the messages of a path (`path_rows`): asked for only where the parent
    has more than one child (and for the roots), so an unbranched path costs one query."""
    branching = [r["id"] for r in rows if r["children"] > 1]
    return siblings_of(conn, conversation_id, [None, *branching])


def siblings_of(
    conn: sqlite3.Connection, conversation_id: str, parent_ids: Iterable[str | None]
) -> dict[str | None, tuple[str, ...]]:
    """For each parent (None: the conversation's roots), its children's ids in creation order."""
    wanted = set(parent_ids)
    found: dict[str | None, list[str]] = defaultdict(list)
    if None in wanted:
        for row in conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS NULL ORDER BY seq",
            (conversation_id,),
        ):
            found[None].append(row[0])
    parents = [p for p in wanted if p is not None]
    for start in range(0, len(parents), 500):
        chunk = parents[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT parent_id, id FROM messages WHERE parent_id IN ({marks}) ORDER BY seq",
            chunk,
        ):
            found[row[0]].append(row[1])
    return {parent: tuple(ids) for parent, ids in found.items()}


def tree_siblings(rows: Sequence[sqlite3.Row]) -> dict[str | None, tuple[str, ...]]:
    """Siblings for a whole conversation's rows (already in creation order)."""
    found: dict[str | None, list[str]] = defaultdict(list)
    for row in rows:
        found[row["parent_id"]].append(row["id"])
    return {parent: tuple(ids) for parent, ids in found.items()}


def leaf_below(conn: sqlite3.Connection, message_id: str) -> str:
    """The leaf reached from `message_id` by always taking the most recently created child."""
    row = conn.execute(
        """
        WITH RECURSIVE down (id, depth) AS (
            SELECT ?, 0
            UNION ALL
            SELECT (SELECT c.id FROM messages c WHERE c.parent_id = down.id
                    ORDER BY c.seq DESC LIMIT 1), down.depth + 1
            FROM down WHERE down.id IS NOT NULL
        )
        SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1
        """,
        (message_id,),
    ).fetchone()
    return str(row[0])


_SUBTREE = """
    WITH RECURSIVE sub (id) AS (
        SELECT ?
        UNION ALL
        SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id
    )
"""


def subtree_ids(conn: sqlite3.Connection, message_id: str) -> list[str]:
    """`message_id` and every message below it."""
    return [r[0] for r in conn.execute(f"{_SUBTREE} SELECT id FROM sub", (message_id,))]


def delete_subtree(conn: sqlite3.Connection, message_id: str) -> int:
    """Delete `message_id` and everything below it in one statement; the count deleted."""
    return conn.execute(
        f"DELETE FROM messages WHERE id IN ({_SUBTREE} SELECT id FROM sub)", (message_id,)
    ).rowcount


def head_in_subtree(conn: sqlite3.Connection, head_id: str, message_id: str) -> bool:
    """Whether `message_id` is on the path from a root to `head_id` (walks up from the head)."""
    row = conn.execute(f"{_PATH_UP} SELECT 1 FROM path WHERE id = ? LIMIT 1", (head_id, message_id))
    return row.fetchone() is not None


def newest_sibling(
    conn: sqlite3.Connection, conversation_id: str, parent_id: str | None, other_than: str
) -> str | None:
    """The most recently created message with this parent, other than `other_than`."""
    if parent_id is None:
        row = conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS NULL AND id != ?"
            " ORDER BY seq DESC LIMIT 1",
            (conversation_id, other_than),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT id FROM messages WHERE parent_id = ? AND id != ? ORDER BY seq DESC LIMIT 1",
            (parent_id, other_than),
        ).fetchone()
    return None if row is None else str(row[0])


def siblings_for_rows(
    conn: sqlite3.Connection, rows: Sequence[sqlite3.Row]
) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """Siblings for rows of several conversations: keyed by (conversation id, parent id)."""
    found: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    roots = sorted({r["conversation_id"] for r in rows if r["parent_id"] is None})
    parents = sorted({r["parent_id"] for r in rows if r["parent_id"] is not None})
    for column, keys in (("conversation_id", roots), ("parent_id", parents)):
        null = "AND parent_id IS NULL" if column == "conversation_id" else ""
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT conversation_id, parent_id, id FROM messages"
                f" WHERE {column} IN ({marks}) {null} ORDER BY seq",
                chunk,
            ):
                found[(row[0], row[1])].append(row[2])
    return {key: tuple(ids) for key, ids in found.items()}
