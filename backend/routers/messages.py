"""`/api/messages/{mid}`: edit, regenerate, delete, cancel, and the reply's event stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status
from sse_starlette import EventSourceResponse

from backend.deps import ServicesDep
from backend.errors import BadRequest, NotFound
from backend.schemas import MessageCreate, Turn, checked_content
from backend.security import require_token
from backend.sse import BadOffset, live_events, parse_offset, stored_events, stream_response
from backend.store import Store

router = APIRouter(prefix="/api/messages", dependencies=[Depends(require_token)])


@router.patch("/{mid}", status_code=status.HTTP_202_ACCEPTED)
async def edit_message(mid: str, body: MessageCreate, services: ServicesDep) -> Turn:
    content = checked_content(body.content, services.settings.max_content_chars)
    user, reply = await services.turns.edit(mid, content)
    return Turn.of(user, reply)


@router.post("/{mid}/regenerate", status_code=status.HTTP_202_ACCEPTED)
async def regenerate(mid: str, services: ServicesDep) -> Turn:
    user, reply = await services.turns.regenerate(mid)
    return Turn.of(user, reply)


@router.delete("/{mid}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_message(mid: str, services: ServicesDep) -> Response:
    """Delete the message and everything below it (PROTOCOL.md section 7)."""
    await services.turns.delete_message(mid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{mid}/cancel", status_code=status.HTTP_202_ACCEPTED)
async def cancel(mid: str, services: ServicesDep) -> Response:
    await services.turns.cancel(mid)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.get("/{mid}/events", response_class=EventSourceResponse)
async def events(
    mid: str,
    services: ServicesDep,
    last_event_id: Annotated[str | None, Header()] = None,
    last_event_id_query: Annotated[str | None, Query(alias="last_event_id")] = None,
) -> EventSourceResponse:
    raw_offset = last_event_id if last_event_id is not None else last_event_id_query
    live = services.broker.get(mid)
    try:
        if live is not None:
            body = live_events(live, parse_offset(raw_offset, live.length))
        else:
            message = await services.store.run(Store.get_message, mid)
            if message is None:
                raise NotFound("Message not found")
            if message.role != "assistant":
                raise BadRequest("A user message has no event stream")
            message = await services.turns.shown(message)
            body = stored_events(message, parse_offset(raw_offset, message.length))
    except BadOffset as exc:
        raise BadRequest(str(exc)) from None
    return stream_response(body, services.settings.ping_interval)
