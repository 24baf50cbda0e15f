"""`GET /api/health` (no token). `GET /`, the web page, is in `backend/web.py`."""

from __future__ import annotations

from fastapi import APIRouter

from backend import __version__
from backend.schemas import Health

router = APIRouter()


@router.get("/api/health")
async def health() -> Health:
    return Health(version=__version__)
