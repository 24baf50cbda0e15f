"""`GET /api/search`: full-text search over every message and title (PROTOCOL.md section 9)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.deps import ServicesDep
from backend.errors import Unprocessable
from backend.schemas import HitOut, check_unicode
from backend.search import MAX_QUERY_CHARS, search
from backend.security import require_token

router = APIRouter(prefix="/api", dependencies=[Depends(require_token)])


@router.get("/search")
async def search_messages(
    services: ServicesDep,
    q: Annotated[str, Query()],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[HitOut]:
    if not q.strip():
        raise Unprocessable("The query must not be empty")
    if len(q) > MAX_QUERY_CHARS:
        raise Unprocessable(f"The query is longer than {MAX_QUERY_CHARS} characters")
    check_unicode(q, "The query")
    hits = await services.store.run(search, q, limit)
    return [HitOut.model_validate(h) for h in hits]
