"""The SQLite schema as an ordered list of migrations, tracked by `PRAGMA user_version`.

Migration `i` (0-based) takes a database from version `i` to version `i + 1`. Never edit a
migration that has shipped; append a new one instead.

A migration is either an SQL script (run in one transaction together with the version bump)
or a `PythonMigration`: a function given the connection, for steps SQLite cannot run inside a
transaction (`PRAGMA auto_vacuum` + `VACUUM`) or that need Python (back-filling rows). It runs
with no transaction open and is responsible for its own; the version is bumped after it returns.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PythonMigration:
    """A migration step written in Python (see the module docstring)."""

    name: str
    run: Callable[[sqlite3.Connection], None]


Migration = str | PythonMigration


def _incremental_auto_vacuum(conn: sqlite3.Connection) -> None:
    # Changing auto_vacuum on a database with tables takes a VACUUM (it rewrites the file;
    # quick on an empty one). From then on freed pages can be given back to the file system
    # (`PRAGMA incremental_vacuum`, run by the store after large deletes).
    # Without room for the copy VACUUM makes, start anyway: the mode then takes effect at
    # the next VACUUM, and nothing else depends on it.
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    try:
        conn.execute("VACUUM")
    except sqlite3.OperationalError as exc:
        logger.warning("Could not rewrite the database for incremental vacuum: %s", exc)


#: Issue 11 (sec branch): give the space of deleted replies back.
AUTO_VACUUM = PythonMigration("auto_vacuum = INCREMENTAL", _incremental_auto_vacuum)

MIGRATIONS: tuple[Migration, ...] = (
    # 0 -> 1: conversations and their messages.
    """
    CREATE TABLE conversations (
        id          TEXT PRIMARY KEY,
        title       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX conversations_by_update ON conversations (updated_at);
    CREATE TABLE messages (
        id               TEXT PRIMARY KEY,
        conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq              INTEGER NOT NULL,
        role             TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content          TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN
                            ('complete', 'streaming', 'cancelled', 'failed', 'interrupted')),
        created_at       TEXT NOT NULL,
        error            TEXT,
        provider         TEXT,
        model            TEXT,
        UNIQUE (conversation_id, seq)
    );
    CREATE INDEX messages_by_status ON messages (status);
    """,
    # 1 -> 2: freed pages can be given back (issue 11).
    AUTO_VACUUM,
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration, each in its own transaction; return the new version."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"The database has schema version {version}, newer than this app knows "
            f"({SCHEMA_VERSION}); update SSE Chat"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        step = MIGRATIONS[target - 1]
        logger.info("Migrating the database to schema version %d", target)
        try:
            if isinstance(step, PythonMigration):
                step.run(conn)
                conn.execute(f"PRAGMA user_version = {target}")
            else:
                # One transaction per migration, the version bump included.
                conn.executescript(f"BEGIN;\n{step}\nPRAGMA user_version = {target};\nCOMMIT;")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
