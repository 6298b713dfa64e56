"""/v1/auth: Registration, sign-in and tokens."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/auth", tags=["auth"])
