"""`GET /api/events`: the global change stream (docs/API-EXTENSIONS.md)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from sse_starlette import EventSourceResponse

from backend.changes import RESET, Change, ChangeFeed
from backend.deps import ServicesDep
from backend.errors import BadRequest
from backend.security import require_token
from backend.sse import format_event, format_retry, stream_response

router = APIRouter(prefix="/api", dependencies=[Depends(require_token)])

_WHOLE_NUMBER = re.compile(r"[0-9]{1,30}")


def format_change(change: Change) -> bytes:
    return format_event(change.kind, change.data, change.id)


async def change_events(feed: ChangeFeed, last_id: int | None) -> AsyncIterator[bytes]:
    """`ready` (fresh) or the missed changes (resume) or `reset` (cannot resume), then live."""
    yield format_retry()
    if last_id is None:
        yield format_event("ready", {}, feed.last_id)
        cursor = feed.last_id
    else:
        missed = feed.since(last_id)
        if missed is None:
            yield format_event(RESET, {}, feed.last_id)
            cursor = feed.last_id
        else:
            for change in missed:
                yield format_change(change)
            cursor = missed[-1].id if missed else last_id
    while not feed.closed:
        await feed.wait_past(cursor)
        if feed.closed:
            return
        missed = feed.since(cursor)
        if missed is None:  # this subscriber fell more than KEEP changes behind
            yield format_event(RESET, {}, feed.last_id)
            cursor = feed.last_id
            continue
        for change in missed:
            yield format_change(change)
            cursor = change.id


@router.get("/events", response_class=EventSourceResponse)
async def events(
    services: ServicesDep,
    last_event_id: Annotated[str | None, Header()] = None,
    last_event_id_query: Annotated[str | None, Query(alias="last_event_id")] = None,
) -> EventSourceResponse:
    raw = last_event_id if last_event_id is not None else last_event_id_query
    last_id: int | None = None
    if raw:
        if not _WHOLE_NUMBER.fullmatch(raw):
            raise BadRequest(f"Last-Event-ID must be a whole number, not {raw!r}")
        last_id = int(raw)
    return stream_response(
        change_events(services.changes, last_id), services.settings.ping_interval
    )
