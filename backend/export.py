"""Export (PROTOCOL.md section 10): one conversation as Markdown, any number as JSON.

The JSON document is streamed from the database: conversations are read in pages of
`CONVERSATION_PAGE` (in creation order, by `conversation_keys.num`) and their messages in
pages of `MESSAGE_PAGE`, each page one call on the store thread, and written out in pieces of
about `PIECE_BYTES`; so the memory an export needs does not grow with the history. Writes that
land while an export runs may or may not be in it (each page is read at its own moment).
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from backend import store_tree as tree
from backend.records import Conversation, Message, utc_now
from backend.schemas import ConversationOut, MessageOut
from backend.store import Store
from backend.store_messages import _conversation, _message
from backend.store_thread import AsyncStore

FORMAT = "sse-chat"
VERSION = 1
CONVERSATION_PAGE = 200
MESSAGE_PAGE = 1000
PIECE_BYTES = 64 * 1024
MAX_FILENAME_CHARS = 100
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}  # fmt: skip
_VISIBLE = "k.conversation_id NOT IN (SELECT conversation_id FROM import_pending)"


# -- file names -----------------------------------------------------------------------------


def safe_filename(title: str, extension: str) -> str:
    """A file name from a title that no common file system refuses or reads as a path."""
    name = " ".join(_UNSAFE.sub(" ", unicodedata.normalize("NFC", title)).split())
    name = name[:MAX_FILENAME_CHARS].strip(" .") or "conversation"
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return name + extension


def content_disposition(filename: str) -> str:
    """`attachment` with the name as ASCII (`filename`) and as UTF-8 (`filename*`, RFC 6266)."""
    stem, dot, extension = filename.rpartition(".")
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = " ".join(plain.split()).strip(" .") or "conversation"
    return (
        f'attachment; filename="{plain}{dot}{extension}";'
        f" filename*=UTF-8''{quote(filename, safe='')}"
    )


# -- Markdown --------------------------------------------------------------------------------


def markdown(conv: Conversation, messages: list[Message]) -> str:
    """The title as a heading, then each message of the current path under its role."""
    out = [f"# {' '.join(conv.title.split())}\n"]
    for message in messages:
        out.append(f"\n## {'User' if message.role == 'user' else 'Assistant'}\n\n")
        reasoning = message.reasoning
        if reasoning:
            out.append(f"<details>\n<summary>Reasoning</summary>\n\n{reasoning}\n\n</details>\n\n")
        out.append(message.content.rstrip("\n") + "\n")
    return "".join(out)


# -- pages from the store (run on the store thread) -------------------------------------------


@dataclass(frozen=True, slots=True)
class Numbered:
    num: int
    conversation: Conversation


def conversations_page(store: Store, after: int, only: str | None) -> list[Numbered]:
    where = "AND c.id = ?" if only is not None else ""
    rows = store.connection.execute(
        f"SELECT k.num AS num, c.* FROM conversation_keys k JOIN conversations c"
        f" ON c.id = k.conversation_id WHERE k.num > ? AND {_VISIBLE} {where}"
        f" ORDER BY k.num LIMIT {CONVERSATION_PAGE}",
        [after, *([only] if only is not None else [])],
    ).fetchall()
    return [Numbered(r["num"], _conversation(r)) for r in rows]


def messages_page(
    store: Store, first: int, last: int, after: tuple[int, int]
) -> list[tuple[int, int, Message]]:
    """Messages of the conversations numbered `first`..`last`, after (num, seq) `after`."""
    conn = store.connection
    cols = ", ".join(f"m.{c.strip()}" for c in tree.MESSAGE_COLUMNS.split(","))
    rows: list[sqlite3.Row] = conn.execute(
        f"SELECT k.num AS cnum, m.seq AS seq, {cols} FROM conversation_keys k"
        " JOIN messages m ON m.conversation_id = k.conversation_id"
        " WHERE k.num BETWEEN ? AND ? AND (k.num > ? OR (k.num = ? AND m.seq > ?))"
        f" ORDER BY k.num, m.seq LIMIT {MESSAGE_PAGE}",
        (first, last, after[0], after[0], after[1]),
    ).fetchall()
    # A conversation wholly in the page has its siblings in the page too; only the ones cut
    # by the page's ends are asked for.
    first_cut = rows[0]["cnum"] if rows and after[1] > 0 else None
    last_cut = rows[-1]["cnum"] if len(rows) == MESSAGE_PAGE else None
    cut = [r for r in rows if r["cnum"] in (first_cut, last_cut)]
    whole = [r for r in rows if r["cnum"] not in (first_cut, last_cut)]
    siblings = tree.siblings_for_rows(conn, cut) if cut else {}
    by_conversation: dict[str, list[sqlite3.Row]] = {}
    for r in whole:
        by_conversation.setdefault(r["conversation_id"], []).append(r)
    for cid, conv_rows in by_conversation.items():
        for parent, ids in tree.tree_siblings(conv_rows).items():
            siblings[(cid, parent)] = ids
    return [
        (r["cnum"], r["seq"], _message(r, siblings.get((r["conversation_id"], r["parent_id"]), ())))
        for r in rows
    ]


# -- the JSON document ----------------------------------------------------------------------


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _open(conv: Conversation) -> str:
    return _dumps(ConversationOut.of(conv).model_dump())[:-1] + ', "messages": ['


async def export_document(store: AsyncStore, only: str | None = None) -> AsyncIterator[bytes]:
    """The export document (every conversation, or only `only`), in pieces."""
    pieces: list[str] = []
    size = 0
    head = {"format": FORMAT, "version": VERSION, "exported_at": utc_now()}
    pieces.append(_dumps(head)[:-1] + ', "conversations": [')
    after, first_conversation = 0, True
    while convs := await store.run(conversations_page, after, only):
        after = convs[-1].num
        index, first_message = 0, True
        pieces.append(("" if first_conversation else ", ") + _open(convs[0].conversation))
        first_conversation = False
        cursor = (convs[0].num - 1, 0)
        while page := await store.run(messages_page, convs[0].num, convs[-1].num, cursor):
            for cnum, seq, message in page:
                while convs[index].num < cnum:
                    index += 1
                    pieces.append("]}, " + _open(convs[index].conversation))
                    first_message = True
                text = _dumps(MessageOut.of(message).model_dump())
                pieces.append(text if first_message else ", " + text)
                first_message = False
                size += len(text)
                cursor = (cnum, seq)
            if size >= PIECE_BYTES:
                yield "".join(pieces).encode()
                pieces, size = [], 0
            if len(page) < MESSAGE_PAGE:
                break
        pieces.append("]}")
        for rest in convs[index + 1 :]:
            pieces.append(", " + _open(rest.conversation) + "]}")
    pieces.append("]}")
    yield "".join(pieces).encode()
