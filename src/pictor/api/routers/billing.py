"""/v1/billing: Buying credits through Stripe."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/billing", tags=["billing"])
