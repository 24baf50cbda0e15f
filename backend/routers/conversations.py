"""`/api/conversations`: list, create, read, update (title, model, system prompt), delete, send
a message, the tree and its head."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status

from backend.changes import CONVERSATION_CREATED, CONVERSATION_UPDATED
from backend.deps import Services, ServicesDep
from backend.errors import NotFound
from backend.records import Conversation, Message
from backend.schemas import (
    ConversationCreate,
    ConversationDetail,
    ConversationOut,
    ConversationPatch,
    HeadChange,
    MessageCreate,
    MessageOut,
    Turn,
    checked_content,
    checked_model,
    checked_system_prompt,
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
    body = body or ConversationCreate()
    title = checked_title(body.title)
    model = checked_model(body.model)
    prompt = checked_system_prompt(body.system_prompt, services.settings.max_content_chars)
    conversation = await services.store.run(Store.create_conversation, title, model, prompt)
    services.changes.conversation(CONVERSATION_CREATED, conversation)
    return ConversationOut.of(conversation)


@router.get("/{cid}")
async def get_conversation(cid: str, services: ServicesDep) -> ConversationDetail:
    conv = await services.store.run(Store.get_conversation, cid)
    if conv is None:
        raise NotFound("Conversation not found")
    messages = await services.store.run(Store.list_messages, cid)
    return await _detail(conv, messages, services)


async def _detail(
    conv: Conversation, messages: list[Message], services: Services
) -> ConversationDetail:
    """The conversation with `messages` as clients are told them (`TurnService.shown`)."""
    return ConversationDetail(
        **ConversationOut.of(conv).model_dump(),
        messages=[MessageOut.of(await services.turns.shown(m)) for m in messages],
    )


@router.get("/{cid}/tree")
async def get_tree(cid: str, services: ServicesDep) -> ConversationDetail:
    """Every message of every branch, in creation order (PROTOCOL.md section 7)."""
    conv = await services.store.run(Store.get_conversation, cid)
    if conv is None:
        raise NotFound("Conversation not found")
    return await _detail(conv, await services.store.run(Store.list_tree, cid), services)


@router.put("/{cid}/head")
async def set_head(cid: str, body: HeadChange, services: ServicesDep) -> ConversationDetail:
    """Make the current path the one through `message_id`; answer the new path."""
    if await services.store.run(Store.get_conversation, cid) is None:
        raise NotFound("Conversation not found")
    messages = await services.turns.set_head(cid, body.message_id)
    conv = await services.store.run(Store.get_conversation, cid)
    if conv is None:
        raise NotFound("Conversation not found")
    return await _detail(conv, messages, services)


@router.patch("/{cid}")
async def update_conversation(
    cid: str, body: ConversationPatch, services: ServicesDep
) -> ConversationOut:
    """Rename, and set the conversation's model and system prompt (section 11)."""
    changes = body.changes(services.settings.max_content_chars)
    try:
        conversation = await services.store.run(Store.update_conversation, cid, changes)
    except NotFoundError:
        raise NotFound("Conversation not found") from None
    services.changes.conversation(CONVERSATION_UPDATED, conversation)
    return ConversationOut.of(conversation)


@router.delete("/{cid}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(cid: str, services: ServicesDep) -> Response:
    await services.turns.delete_conversation(cid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{cid}/messages", status_code=status.HTTP_202_ACCEPTED)
async def send_message(cid: str, body: MessageCreate, services: ServicesDep) -> Turn:
    content = checked_content(body.content, services.settings.max_content_chars)
    user, reply = await services.turns.send(cid, content)
    return Turn.of(user, reply)
