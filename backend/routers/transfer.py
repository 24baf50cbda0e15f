"""Export and import (PROTOCOL.md section 10): a conversation as Markdown or JSON, every
conversation as one streamed JSON file, and the import of such a file or of ChatGPT's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from backend.changes import RESET
from backend.deps import ServicesDep
from backend.errors import NotFound, Unprocessable
from backend.export import content_disposition, export_document, markdown, safe_filename
from backend.importer import import_file
from backend.schemas import ImportResult, ImportSkip
from backend.security import require_token
from backend.store import Store
from backend.upload_body import boundary_of, file_part

router = APIRouter(prefix="/api", dependencies=[Depends(require_token)])


@router.get("/conversations/{cid}/export", response_model=None)
async def export_conversation(
    cid: str,
    services: ServicesDep,
    format: Annotated[Literal["json", "markdown"], Query()] = "json",
) -> Response:
    conv = await services.store.run(Store.get_conversation, cid)
    if conv is None:
        raise NotFound("Conversation not found")
    if format == "markdown":
        messages = await services.store.run(Store.list_messages, cid)
        return Response(
            markdown(conv, messages),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": content_disposition(safe_filename(conv.title, ".md"))},
        )
    return StreamingResponse(
        export_document(services.store, only=cid),
        media_type="application/json",
        headers={"Content-Disposition": content_disposition(safe_filename(conv.title, ".json"))},
    )


@router.get("/export")
async def export_all(services: ServicesDep) -> StreamingResponse:
    return StreamingResponse(
        export_document(services.store),
        media_type="application/json",
        headers={"Content-Disposition": content_disposition("sse-chat-export.json")},
    )


async def _drain(body: AsyncIterator[bytes], budget: int) -> None:
    """Read the rest of a refused body (so the client gets to read the answer), up to `budget`."""
    async for chunk in body:
        budget -= len(chunk)
        if budget < 0:
            return


@router.post("/import")
async def import_history(request: Request, services: ServicesDep) -> ImportResult:
    limit = services.settings.max_import_bytes
    body = request.stream()
    boundary = boundary_of(request.headers.get("content-type", ""))
    async with services.import_lock:  # one import at a time
        try:
            chunks = body if boundary is None else file_part(body, boundary)
            summary = await import_file(services.store, chunks, limit)
        except Unprocessable:
            await _drain(body, limit)
            raise
    if services.indexer is not None:  # the imported messages are indexed from now on
        services.indexer.wake()
    if summary.conversations:  # clients reload their list (docs/API-EXTENSIONS.md)
        services.changes.publish(RESET, {})
    return ImportResult(
        conversations=summary.conversations,
        messages=summary.messages,
        skipped=[ImportSkip(title=t, reason=r) for t, r in summary.skipped],
    )
