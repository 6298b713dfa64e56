"""/v1/batches: Many jobs at once."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/batches", tags=["batches"])
