"""A damaged chat history (issue 11, item 6): find it, keep it, recover what can be read.

`quick_check(path)` runs SQLite's `PRAGMA quick_check` on a connection of its own (read-only;
WAL lets it run beside the store's). When it finds damage, `recover(path)` never writes into
the damaged file: it copies it (and its -wal) aside as `chat.sqlite3.damaged-<UTC time>`,
builds a fresh database with the current schema, copies into it every row that can still be
read - table by table, row by row, skipping past what cannot (as far as Python's `sqlite3`
allows, the idea of the shell's `.recover`) - and puts it in the damaged file's place.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.migrations import migrate
from backend.private_files import private_file
from backend.storage_errors import is_damage

logger = logging.getLogger(__name__)

#: How many rowids past an unreadable one are tried one by one before jumping further.
_NEAR = 64
_MIN_ROWID, _MAX_ROWID = -(1 << 63), (1 << 63) - 1


class DamagedDatabase(Exception):
    """The database file is damaged; `problems` are what `quick_check` said."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        super().__init__(f"{path} is damaged: {'; '.join(problems[:3])}")
        self.path = path
        self.problems = list(problems)


def quick_check(path: Path) -> list[str]:
    """What `PRAGMA quick_check` finds wrong with `path` ([] when nothing)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        return [str(exc)]
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows]
    return [] if problems == ["ok"] else problems


@dataclass(frozen=True)
class Recovered:
    """What `recover` did: where the damaged file was kept, and what was saved of it."""

    damaged_copy: Path
    conversations: int
    messages: int
    problems: tuple[str, ...]

    @property
    def notice(self) -> str:
        return (
            f"The chat history file was damaged. It was kept unchanged as {self.damaged_copy}; "
            f"what could still be read was recovered: {self.conversations} conversation(s) "
            f"and {self.messages} message(s). Anything else is only in the damaged copy."
        )


def damaged_copy_path(path: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    serial = 1
    while candidate.exists():
        serial += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{serial}")
    return candidate


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


def _tables(conn: sqlite3.Connection) -> list[str]:
    """The app's ordinary tables in creation order (parents first); virtual tables (and
    their shadow tables) are left out: triggers fill them from the rows copied."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY rowid"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [
        name
        for name, _ in rows
        if name not in virtual and not any(name.startswith(v + "_") for v in virtual)
    ]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')]


def _readable_rows(
    source: sqlite3.Connection, table: str, columns: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """Every row of `table` that can be read, in rowid order, skipping damaged ones.

    Each scan starts with a seek (`rowid >= start`), which goes down from the root; a scan
    that fails moves on past the last row it gave, or past `start` if it gave none, so it
    always gets further.
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    query = f'SELECT rowid, {cols} FROM "{table}" WHERE rowid >= ? ORDER BY rowid'
    start = _MIN_ROWID
    while True:
        last: int | None = None
        try:
            for row in source.execute(query, (start,)):
                last = int(row[0])
                yield tuple(row[1:])
            return
        except sqlite3.DatabaseError:
            found = _next_readable(source, table, start if last is None else last)
            if found is None:
                return
            start = found


def _next_readable(source: sqlite3.Connection, table: str, after: int) -> int | None:
    """The first rowid past `after` whose row can be read: the next few one by one, then
    jumps that double (a damaged page may hold many rows)."""
    step = 1
    probe = f'SELECT rowid FROM "{table}" WHERE rowid >= ? ORDER BY rowid LIMIT 1'
    while after + step <= _MAX_ROWID:
        try:
            row = source.execute(probe, (after + step,)).fetchone()
            if row is None:
                return None
            source.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (row[0],)).fetchone()
            return int(row[0])
        except sqlite3.DatabaseError:
            pass
        step = step + 1 if step < _NEAR else step * 2
    return None


def _copy_rows(source: sqlite3.Connection, target: sqlite3.Connection) -> dict[str, int]:
    """Every readable row of every table both databases have; the count per table."""
    try:
        old_tables = set(_tables(source))
    except sqlite3.DatabaseError:  # the schema itself is unreadable: nothing to copy
        return {}
    counts: dict[str, int] = {}
    for table in _tables(target):
        if table not in old_tables:
            continue
        try:
            columns = [c for c in _columns(target, table) if c in set(_columns(source, table))]
        except sqlite3.DatabaseError:
            continue
        insert = (
            f'INSERT OR IGNORE INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)})'
            f" VALUES ({', '.join('?' for _ in columns)})"
        )
        count = 0
        for row in _readable_rows(source, table, columns):
            try:
                count += target.execute(insert, row).rowcount
            except sqlite3.IntegrityError:  # e.g. a message whose conversation was lost
                count += _adopt_orphan(target, table, columns, row, insert)
        counts[table] = count
    return counts


def _adopt_orphan(
    target: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    row: tuple[Any, ...],
    insert: str,
) -> int:
    """A message whose conversation was lost gets a conversation of its own to live in."""
    if table != "messages" or "conversation_id" not in columns:
        return 0
    values = dict(zip(columns, row, strict=True))
    when = values.get("created_at") or datetime.now(UTC).isoformat()
    target.execute(
        "INSERT OR IGNORE INTO conversations (id, title, created_at, updated_at)"
        " VALUES (?, 'Recovered conversation', ?, ?)",
        (values["conversation_id"], when, when),
    )
    try:
        return int(target.execute(insert, row).rowcount)
    except sqlite3.IntegrityError:
        return 0


def _open_damaged(path: Path) -> sqlite3.Connection:
    """A connection that reads `path` and never writes it: read-only with its -wal (the
    latest writes), else immutable (the main file alone) if that cannot even start."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.Error:
        conn.close()
        logger.warning("Reading %s with its -wal failed; reading the main file alone", path)
    return sqlite3.connect(f"file:{path}?immutable=1", uri=True)


def recover(path: Path, problems: Sequence[str] = ()) -> Recovered:
    """Keep the damaged `path` aside, replace it by a fresh database holding what could be read.

    The caller holds the data folder's lock and has no connection open to `path`.
    """
    copy = damaged_copy_path(path)
    shutil.copyfile(path, private_file(copy))  # 0600 before a byte is in it
    wal = _sidecars(path)[0]
    if wal.exists() and wal.stat().st_size:  # the latest writes: kept with it
        shutil.copyfile(wal, private_file(copy.with_name(copy.name + "-wal")))
    logger.error("The chat history %s is damaged (%s); kept as %s", path, problems[:3], copy)

    fresh = path.with_name(path.name + ".recovering")
    for leftover in (fresh, *_sidecars(fresh)):
        leftover.unlink(missing_ok=True)
    private_file(fresh)
    source = _open_damaged(path)
    target = sqlite3.connect(fresh, isolation_level=None)
    try:
        target.execute("PRAGMA foreign_keys = ON")
        migrate(target)
        target.execute("BEGIN")
        counts = _copy_rows(source, target)
        target.execute("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'")
        target.execute("COMMIT")
    finally:
        source.close()
        target.close()
    for side in _sidecars(path):  # they belong to the damaged file (copied aside above)
        side.unlink(missing_ok=True)
    fresh.replace(path)
    recovered = Recovered(
        copy, counts.get("conversations", 0), counts.get("messages", 0), tuple(problems)
    )
    logger.error("%s", recovered.notice)
    return recovered
