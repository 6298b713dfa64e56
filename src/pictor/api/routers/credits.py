"""/v1/credits: Credits balance and ledger."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/credits", tags=["credits"])
