"""/v1/gallery: Every output, with trash and restore."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/gallery", tags=["gallery"])
