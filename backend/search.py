"""Full-text search over every message and title (PROTOCOL.md section 9).

The index is FTS5 with the `trigram` tokenizer (see `migrations.SEARCH_MIGRATION`): every
substring of three or more characters, in any script, case-insensitively. Each term of the
query becomes one FTS5 string (`"..."`, inner quotes doubled), so no user input is ever read
as FTS syntax; the terms are AND-ed.

Terms of one or two characters (which no trigram equals): the newest `SCAN_WINDOW` messages
are scanned with `instr()` for every case variant of the term; if they hold enough hits,
those are the answer. Otherwise the term is rare, and the index lists the few trigrams that
begin with it (`messages_vocab`, a prefix range; every indexed text ends with two `char(1)`,
so even a term at the very end of a text begins a trigram): the term becomes an FTS5 OR of
them, checked again with `instr()`. A term that begins more than `MAX_PREFIX_TRIGRAMS`
trigrams is common, and a scan newest first finds enough rows at once. Titles the same way.

Messages an import stored are indexed after it (`backend.search_backlog`); until then they
are in `search_backlog`, and every query also scans those rows (`LIKE`, then `_has_all`), so
a search is complete the moment an import returns (slower while a large backlog waits).

Ranking: FTS5's own `bm25()` counts every match of every term to weigh them (hundreds of ms
for a common word over 100,000 messages), so the query takes the newest `CANDIDATES` (or
`limit`, if more) matches (cheap: FTS5 stops early in rowid order) and ranks them here with
BM25's term frequency and length normalisation (k1 = 1.2, b = 0.75; the IDF factor is left
out: every candidate holds every term). Hits: titles that match first (`message_id`/`role`
null), then messages. The snippet is a slice of the text (at most `SNIPPET_CHARS` characters) around
the first match; highlights are code-point offsets into it, one per occurrence of each
term there, sorted.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from backend.store import Store

MAX_QUERY_CHARS = 1000
MAX_TERMS = 16
SNIPPET_CHARS = 200
#: Characters of context kept before the first match, when the text is longer than a snippet.
CONTEXT_BEFORE = 60
#: The shortest term the trigram index can look up.
INDEXED_CHARS = 3
#: How many of the newest matches are ranked (at least; more when the limit is higher).
CANDIDATES = 100
#: How many of the newest messages a query of only short terms scans first.
SCAN_WINDOW = 200
#: A short term that begins more trigrams than this is common: scanned, not looked up.
MAX_PREFIX_TRIGRAMS = 200
K1, B = 1.2, 0.75

_VISIBLE = "m.conversation_id NOT IN (SELECT conversation_id FROM import_pending)"
_COLUMNS = "m.num, m.id, m.conversation_id, m.role, m.content, m.created_at, c.title"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Hit:
    conversation_id: str
    conversation_title: str
    message_id: str | None
    role: str | None
    created_at: str
    snippet: str
    highlights: list[list[int]]


def parse_terms(q: str) -> list[str]:
    """Whitespace-separated terms; a double-quoted part is one term (spaces kept).

    An unclosed quote runs to the end; control characters are dropped; terms are kept once
    (compared case-insensitively).
    """
    terms: list[str] = []
    for quoted, plain in re.findall(r'"([^"]*)"?|([^\s"]+)', _CONTROL.sub("", q)):
        term = quoted if quoted.strip() else plain
        if term and term.casefold() not in {t.casefold() for t in terms}:
            terms.append(term)
    return terms[:MAX_TERMS]


def fts_string(term: str) -> str:
    """`term` as an FTS5 string: matched literally, never parsed as an operator."""
    return '"' + term.replace('"', '""') + '"'


def case_variants(term: str) -> list[str]:
    """Every spelling of a short term that differs only in letter case."""
    options = [[o for o in sorted({c, c.lower(), c.upper()}) if len(o) == 1] for c in term]
    return ["".join(p) for p in itertools.product(*options)]


def snippet_of(text: str, patterns: Sequence[re.Pattern[str]]) -> tuple[str, list[list[int]]]:
    """The slice of `text` around its first match, and the matches in it (code points)."""
    if len(text) <= SNIPPET_CHARS:
        snippet = text
    else:
        first = [m.start() for m in (p.search(text) for p in patterns) if m is not None]
        at = min(first, default=0)
        start = max(0, min(at - CONTEXT_BEFORE, len(text) - SNIPPET_CHARS))
        if start > 0:  # begin at a word when one starts shortly before the match
            space = text.find(" ", start, min(at, start + 20))
            start = space + 1 if space >= 0 else start
        snippet = text[start : start + SNIPPET_CHARS]
    spans = sorted({m.span() for p in patterns for m in p.finditer(snippet)})
    return snippet, [[s, e] for s, e in spans]


def bm25_order(rows: Sequence[sqlite3.Row], column: str, terms: Sequence[str]) -> list[sqlite3.Row]:
    """`rows` best first: BM25 term frequency and length normalisation, newest on ties.

    Term frequencies are counted on the lower-cased text (fast; close enough for a rank).
    """
    if not rows:
        return []
    lowered = [t.lower() for t in terms]
    average = sum(len(r[column]) for r in rows) / len(rows) or 1.0

    def score(row: sqlite3.Row) -> float:
        text = row[column].lower()
        norm = K1 * (1 - B + B * len(text) / average)
        total = 0.0
        for term in lowered:
            tf = text.count(term)
            total += tf * (K1 + 1) / (tf + norm)
        return total

    return sorted(rows, key=lambda r: (-score(r), -r["num"]))


def _short_filter(column: str, short: Sequence[str]) -> tuple[str, list[str]]:
    """SQL (and its parameters) that holds when every short term occurs in `column`."""
    clauses: list[str] = []
    params: list[str] = []
    for term in short:
        variants = case_variants(term)
        clauses.append("(" + " OR ".join(f"instr({column}, ?) > 0" for _ in variants) + ")")
        params += variants
    return (" AND ".join(clauses) or "1"), params


def _prefix_trigrams(conn: sqlite3.Connection, vocab: str, term: str) -> list[str] | None:
    """The indexed trigrams that begin with a short term; None when there are too many."""
    folded = term.lower()
    rows = conn.execute(
        f"SELECT term FROM {vocab} WHERE term >= ? AND term < ? LIMIT ?",
        (folded, folded + "\U0010ffff", MAX_PREFIX_TRIGRAMS + 1),
    ).fetchall()
    return None if len(rows) > MAX_PREFIX_TRIGRAMS else [r[0] for r in rows]


def _prefix_match(conn: sqlite3.Connection, vocab: str, short: Sequence[str]) -> str | None:
    """An FTS5 query for rows holding every short term; "" when one is nowhere, None when
    one is too common to look up this way."""
    groups: list[str] = []
    for term in short:
        trigrams = _prefix_trigrams(conn, vocab, term)
        if not trigrams:
            return trigrams if trigrams is None else ""
        groups.append("(" + " OR ".join(map(fts_string, trigrams)) + ")")
    return " AND ".join(groups)


def _fts_messages(
    conn: sqlite3.Connection, match: str, short: Sequence[str], cap: int
) -> list[sqlite3.Row]:
    where, params = _short_filter("m.content", short)
    return conn.execute(
        f"WITH hits AS MATERIALIZED (SELECT rowid AS num FROM messages_fts"
        f" WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT {cap:d})"
        f" SELECT {_COLUMNS} FROM hits JOIN messages m ON m.num = hits.num"
        f" JOIN conversations c ON c.id = m.conversation_id WHERE {where} AND {_VISIBLE}",
        [match, *params],
    ).fetchall()


def _scan_messages(
    conn: sqlite3.Connection, short: Sequence[str], window: int | None, cap: int
) -> list[sqlite3.Row]:
    where, params = _short_filter("m.content", short)
    newest = "AND m.num > (SELECT MAX(num) FROM messages) - ?" if window is not None else ""
    return conn.execute(
        f"SELECT {_COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE {where} {newest} AND {_VISIBLE} ORDER BY m.num DESC LIMIT {cap:d}",
        [*params, *([window] if window is not None else [])],
    ).fetchall()


def _has_all(text: str, terms: str) -> bool:
    """Whether `text` holds every one of `terms` (lower-cased, NUL-separated), in any case."""
    folded = text.lower()
    return all(term in folded for term in terms.split("\x00"))


def _like(piece: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", piece) + "%"


def _backlog_messages(
    conn: sqlite3.Connection, terms: Sequence[str], cap: int
) -> list[sqlite3.Row]:
    """The matches among the messages not indexed yet (`backend.search_backlog`), newest
    first. In C: `LIKE` for an ASCII term (case-insensitive for ASCII), `instr` for a term
    without letter case (CJK), `LIKE` of the longest ASCII run of any other term, which
    `_has_all` then decides."""
    if conn.execute("SELECT 1 FROM search_backlog LIMIT 1").fetchone() is None:
        return []
    clauses: list[str] = []
    params: list[str] = []
    others: list[str] = []
    for term in terms:
        if term.isascii():
            piece = term
        elif term.lower() == term.upper():
            clauses.append("instr(m.content, ?) > 0")
            params.append(term)
            continue
        else:
            others.append(term.lower())
            piece = max(re.findall(r"[\x20-\x7e]+", term), key=len, default="").strip()
        if piece:
            clauses.append("m.content LIKE ? ESCAPE '\\'")
            params.append(_like(piece))
    if others:
        conn.create_function("search_has_all", 2, _has_all, deterministic=True)
        clauses.append("search_has_all(m.content, ?)")
        params.append("\x00".join(others))
    return conn.execute(
        f"SELECT {_COLUMNS} FROM search_backlog b JOIN messages m ON m.num = b.num"
        f" JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE {' AND '.join(clauses) or '1'} AND {_VISIBLE} ORDER BY m.num DESC LIMIT {cap:d}",
        params,
    ).fetchall()


def _message_rows(
    conn: sqlite3.Connection, long: list[str], short: list[str], limit: int
) -> list[sqlite3.Row]:
    cap = max(limit, CANDIDATES)
    if long:
        found = _fts_messages(conn, " ".join(map(fts_string, long)), short, cap)
        return found + _backlog_messages(conn, [*long, *short], cap)
    found = _scan_messages(conn, short, SCAN_WINDOW, cap)
    if len(found) >= limit:
        return found
    match = _prefix_match(conn, "messages_vocab", short)
    if match is None:  # a common term after all: the scan (of every message) stops early
        return _scan_messages(conn, short, None, cap)
    found = _fts_messages(conn, match, short, cap) if match else []
    return found + _backlog_messages(conn, short, cap)


def _title_rows(
    conn: sqlite3.Connection, long: list[str], short: list[str], cap: int
) -> list[sqlite3.Row]:
    where, params = _short_filter("c.title", short)
    visible = "c.id NOT IN (SELECT conversation_id FROM import_pending)"
    match = " ".join(map(fts_string, long)) if long else _prefix_match(conn, "titles_vocab", short)
    if match is None:  # common short terms only: the newest titles that hold them
        return conn.execute(  # (rowid: only a tie-breaker here)
            f"SELECT c.rowid AS num, c.id, c.title, c.created_at FROM conversations c"
            f" WHERE {where} AND {visible} ORDER BY c.rowid DESC LIMIT {cap:d}",
            params,
        ).fetchall()
    if not match:
        return []
    return conn.execute(
        f"WITH hits AS MATERIALIZED (SELECT rowid AS num FROM titles_fts"
        f" WHERE titles_fts MATCH ? ORDER BY rowid DESC LIMIT {cap:d})"
        f" SELECT k.num AS num, c.id, c.title, c.created_at FROM hits"
        f" JOIN conversation_keys k ON k.num = hits.num"
        f" JOIN conversations c ON c.id = k.conversation_id WHERE {where} AND {visible}",
        [match, *params],
    ).fetchall()


def search(store: Store, q: str, limit: int) -> list[Hit]:
    """The best `limit` hits for `q` (already checked: not blank, not too long)."""
    terms = parse_terms(q)
    if not terms:
        return []
    long = [t for t in terms if len(t) >= INDEXED_CHARS]
    short = [t for t in terms if len(t) < INDEXED_CHARS]
    patterns = [re.compile(re.escape(t), re.IGNORECASE) for t in terms]
    conn = store.connection
    hits: list[Hit] = []
    cap = max(limit, CANDIDATES)
    for row in bm25_order(_title_rows(conn, long, short, cap), "title", terms)[:limit]:
        snippet, marks = snippet_of(row["title"], patterns)
        hits.append(Hit(row["id"], row["title"], None, None, row["created_at"], snippet, marks))
    if len(hits) >= limit:
        return hits
    ranked = bm25_order(_message_rows(conn, long, short, limit), "content", terms)
    for row in ranked[: limit - len(hits)]:
        snippet, marks = snippet_of(row["content"], patterns)
        hits.append(
            Hit(
                row["conversation_id"],
                row["title"],
                row["id"],
                row["role"],
                row["created_at"],
                snippet,
                marks,
            )
        )
    return hits
