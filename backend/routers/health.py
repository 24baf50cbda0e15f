"""`GET /api/health` (no token) and `GET /` (a landing answer for the printed URL)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from backend import __version__
from backend.schemas import Health
from backend.security import require_token

router = APIRouter()


@router.get("/api/health")
async def health() -> Health:
    return Health(version=__version__)


@router.get("/", dependencies=[Depends(require_token)])
async def root() -> dict[str, Any]:
    return {"name": "SSE Chat", "version": __version__, "api": "/api/conversations"}
