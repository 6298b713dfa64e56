"""/v1/studio: The conversational studio."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/studio", tags=["studio"])
