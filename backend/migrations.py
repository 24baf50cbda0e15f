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


#: Issue 11: give the space of deleted replies back.
AUTO_VACUUM = PythonMigration("auto_vacuum = INCREMENTAL", _incremental_auto_vacuum)
#: Every message gets a `parent_id` (its place in the conversation's tree) and every
#: conversation a `head_id` (the last message of its current path). An existing history
#: becomes one path in its old (`seq`) order. The table is rebuilt to give messages an
#: explicit `INTEGER PRIMARY KEY` (`num`): the full-text index refers to messages by it, and
#: the implicit rowid of a table with a TEXT primary key may change on `VACUUM`. `children`
#: (kept by triggers) counts a message's children, so that loading a path asks for the
#: siblings of a message only where its parent has more than one child.
TREE_MIGRATION = """
    CREATE TABLE messages_tree (
        num              INTEGER PRIMARY KEY,
        id               TEXT NOT NULL UNIQUE,
        conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        parent_id        TEXT REFERENCES messages_tree (id),
        seq              INTEGER NOT NULL,
        role             TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content          TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN
                            ('complete', 'streaming', 'cancelled', 'failed', 'interrupted')),
        created_at       TEXT NOT NULL,
        error            TEXT,
        provider         TEXT,
        model            TEXT,
        children         INTEGER NOT NULL DEFAULT 0,
        UNIQUE (conversation_id, seq)
    );
    INSERT INTO messages_tree (id, conversation_id, parent_id, seq, role, content, status,
                               created_at, error, provider, model)
        SELECT id, conversation_id,
               LAG(id) OVER (PARTITION BY conversation_id ORDER BY seq),
               seq, role, content, status, created_at, error, provider, model
        FROM messages ORDER BY rowid;
    DROP TABLE messages;
    ALTER TABLE messages_tree RENAME TO messages;
    CREATE INDEX messages_by_status ON messages (status);
    CREATE INDEX messages_by_parent ON messages (parent_id, seq);
    CREATE INDEX messages_roots ON messages (conversation_id, seq) WHERE parent_id IS NULL;
    UPDATE messages SET children = 1 WHERE id IN (SELECT parent_id FROM messages);
    CREATE TRIGGER messages_children_insert AFTER INSERT ON messages
    WHEN new.parent_id IS NOT NULL BEGIN
        UPDATE messages SET children = children + 1 WHERE id = new.parent_id;
    END;
    CREATE TRIGGER messages_children_delete AFTER DELETE ON messages
    WHEN old.parent_id IS NOT NULL BEGIN
        UPDATE messages SET children = children - 1 WHERE id = old.parent_id;
    END;
    ALTER TABLE conversations ADD COLUMN head_id TEXT;
    UPDATE conversations SET head_id = (
        SELECT id FROM messages WHERE conversation_id = conversations.id
        ORDER BY seq DESC LIMIT 1
    );
"""

#: Full-text search (PROTOCOL.md section 9): FTS5 with the trigram tokenizer (substrings in
#: any script, case-insensitive). `messages_fts` is an external-content index over the view
#: `messages_search_text`, keyed by `messages.num`; the view adds two `char(1)` to each text
#: so that every one- or two-character substring starts some indexed trigram (how short
#: terms are found: `backend/search.py`). Titles get their own (contentful, the same two
#: `char(1)` added) index keyed by
#: `conversation_keys.num`, a stable integer per conversation (the conversations table keeps
#: its TEXT key: rebuilding it would cascade-delete every message). Triggers keep both in
#: step inside the writing transaction; the migration builds them for existing data.
SEARCH_MIGRATION = """
    CREATE VIEW messages_search_text (num, content) AS
        SELECT num, content || char(1, 1) FROM messages;
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content = 'messages_search_text', content_rowid = 'num', tokenize = 'trigram'
    );
    CREATE VIRTUAL TABLE messages_vocab USING fts5vocab(messages_fts, 'row');
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, content) VALUES (new.num, new.content || char(1, 1));
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.num, old.content || char(1, 1));
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.num, old.content || char(1, 1));
        INSERT INTO messages_fts (rowid, content) VALUES (new.num, new.content || char(1, 1));
    END;

    CREATE TABLE conversation_keys (
        num              INTEGER PRIMARY KEY,
        conversation_id  TEXT NOT NULL UNIQUE
    );
    INSERT INTO conversation_keys (conversation_id) SELECT id FROM conversations ORDER BY rowid;
    CREATE VIRTUAL TABLE titles_fts USING fts5(title, tokenize = 'trigram');
    CREATE VIRTUAL TABLE titles_vocab USING fts5vocab(titles_fts, 'row');
    INSERT INTO titles_fts (rowid, title)
        SELECT k.num, c.title || char(1, 1) FROM conversation_keys k JOIN conversations c
        ON c.id = k.conversation_id;
    CREATE TRIGGER titles_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversation_keys (conversation_id) VALUES (new.id);
        INSERT INTO titles_fts (rowid, title) VALUES (
            (SELECT num FROM conversation_keys WHERE conversation_id = new.id),
            new.title || char(1, 1)
        );
    END;
    CREATE TRIGGER titles_fts_update AFTER UPDATE OF title ON conversations BEGIN
        DELETE FROM titles_fts
            WHERE rowid = (SELECT num FROM conversation_keys WHERE conversation_id = old.id);
        INSERT INTO titles_fts (rowid, title) VALUES (
            (SELECT num FROM conversation_keys WHERE conversation_id = new.id),
            new.title || char(1, 1)
        );
    END;
    CREATE TRIGGER titles_fts_delete AFTER DELETE ON conversations BEGIN
        DELETE FROM titles_fts
            WHERE rowid = (SELECT num FROM conversation_keys WHERE conversation_id = old.id);
        DELETE FROM conversation_keys WHERE conversation_id = old.id;
    END;
"""

#: Import bookkeeping (PROTOCOL.md section 10): the source ids already imported (so a file
#: imported twice adds nothing; forgotten when the conversation is deleted), and the
#: conversations of an import still under way (hidden until it commits; removed on failure
#: and at start-up).
IMPORT_MIGRATION = """
    CREATE TABLE import_sources (
        source_id        TEXT PRIMARY KEY,
        conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE
    );
    CREATE INDEX import_sources_by_conversation ON import_sources (conversation_id);
    CREATE TABLE import_pending (
        conversation_id  TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
        import_id        TEXT NOT NULL
    );
    CREATE INDEX import_pending_by_import ON import_pending (import_id);
"""

#: A reply's parts (reasoning and text, PROTOCOL.md section 8) and its stats. `parts` is JSON
#: (`[{"type", "text"}]`) for a reply with reasoning, NULL when `content` is its only part, so
#: every older message reads as before; `content` stays the answer's text alone.
REPLY_PARTS = """
    ALTER TABLE messages ADD COLUMN parts TEXT;
    ALTER TABLE messages ADD COLUMN first_token_ms INTEGER;
    ALTER TABLE messages ADD COLUMN duration_ms INTEGER;
    ALTER TABLE messages ADD COLUMN prompt_tokens INTEGER;
    ALTER TABLE messages ADD COLUMN completion_tokens INTEGER;
"""

#: A conversation's own model and system prompt (PROTOCOL.md section 11); NULL = the default.
CONVERSATION_SETTINGS = """
    ALTER TABLE conversations ADD COLUMN model TEXT;
    ALTER TABLE conversations ADD COLUMN system_prompt TEXT;
"""

#: Messages written by an import are indexed for search afterwards, in bounded batches
#: (`backend.search_backlog`), not inside the import's transactions: FTS5's trigram indexing
#: runs at about 1.5 MB of text per CPU second, far below the import's pace. Until then a
#: message's `num` is in `search_backlog` (in the same transaction that stores it), and search
#: scans those rows too, so it stays complete. The triggers are replaced: a message of a
#: conversation in `import_pending` goes to the backlog instead of the index, and a message
#: still in the backlog is not in the index to be deleted from (an external-content table
#: must only be told to delete what it holds). An import also writes each message's
#: `children` count itself, so the trigger that counts them (an UPDATE of the parent's row for
#: every message) leaves the conversations of `import_pending` alone.
DEFERRED_SEARCH = """
    CREATE TABLE search_backlog (num INTEGER PRIMARY KEY);
    DROP TRIGGER messages_children_insert;
    CREATE TRIGGER messages_children_insert AFTER INSERT ON messages
    WHEN new.parent_id IS NOT NULL
        AND new.conversation_id NOT IN (SELECT conversation_id FROM import_pending) BEGIN
        UPDATE messages SET children = children + 1 WHERE id = new.parent_id;
    END;
    DROP TRIGGER messages_fts_insert;
    DROP TRIGGER messages_fts_delete;
    DROP TRIGGER messages_fts_update;
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO search_backlog (num) SELECT new.num
            WHERE new.conversation_id IN (SELECT conversation_id FROM import_pending);
        INSERT INTO messages_fts (rowid, content) SELECT new.num, new.content || char(1, 1)
            WHERE NOT EXISTS (SELECT 1 FROM search_backlog WHERE num = new.num);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            SELECT 'delete', old.num, old.content || char(1, 1)
            WHERE NOT EXISTS (SELECT 1 FROM search_backlog WHERE num = old.num);
        DELETE FROM search_backlog WHERE num = old.num;
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages
        WHEN NOT EXISTS (SELECT 1 FROM search_backlog WHERE num = old.num) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content)
            VALUES ('delete', old.num, old.content || char(1, 1));
        INSERT INTO messages_fts (rowid, content) VALUES (new.num, new.content || char(1, 1));
    END;
"""

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
    # Issue 13: the message tree (a rebuild of `messages`, so it comes before any column added
    # to it), then full-text search, then import bookkeeping.
    TREE_MIGRATION,
    SEARCH_MIGRATION,
    IMPORT_MIGRATION,
    REPLY_PARTS,
    CONVERSATION_SETTINGS,
    DEFERRED_SEARCH,
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
