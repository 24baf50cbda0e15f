"""`/api/conversations`: list, create, read, rename, delete, and send a message."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status

from backend.deps import ServicesDep
from backend.errors import NotFound
from backend.schemas import (
    ConversationCreate,
    ConversationDetail,
    ConversationOut,
    ConversationRename,
    MessageCreate,
    MessageOut,
    Turn,
    checked_content,
    checked_title,
)
from backend.security import require_token
from backend.store import NotFoundError, Store

router = APIRouter(prefix="/api/conversations", dependencies=[Depends(require_token)])


@router.get("")
async def list_conversations(services: ServicesDep) -> list[ConversationOut]:
    conversations = await services.store.run(Store.list_conversations)
    return [ConversationOut.of(c) for c in conversations]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_conversation(
    services: ServicesDep, body: ConversationCreate | None = None
) -> ConversationOut:
    title = checked_title(body.title if body is not None else None)
    return ConversationOut.of(await services.store.run(Store.create_conversation, title))


@router.get("/{cid}")
async def get_conversation(cid: str, services: ServicesDep) -> ConversationDetail:
    conv = await services.store.run(Store.get_conversation, cid)
    if conv is None:
        raise NotFound("Conversation not found")
    messages = await services.store.run(Store.list_messages, cid)
    return ConversationDetail(
        **ConversationOut.of(conv).model_dump(),
        messages=[MessageOut.of(await services.turns.shown(m)) for m in messages],
    )


@router.patch("/{cid}")
async def rename_conversation(
    cid: str, body: ConversationRename, services: ServicesDep
) -> ConversationOut:
    title = checked_title(body.title)
    try:
        return ConversationOut.of(await services.store.run(Store.rename_conversation, cid, title))
    except NotFoundError:
        raise NotFound("Conversation not found") from None


@router.delete("/{cid}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(cid: str, services: ServicesDep) -> Response:
    await services.turns.delete_conversation(cid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{cid}/messages", status_code=status.HTTP_202_ACCEPTED)
async def send_message(cid: str, body: MessageCreate, services: ServicesDep) -> Turn:
    content = checked_content(body.content, services.settings.max_content_chars)
    user, reply = await services.turns.send(cid, content)
    return Turn.of(user, reply)
