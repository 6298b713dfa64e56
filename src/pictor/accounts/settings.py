"""Settings of sign-in: tokens and rate limits (``PICTOR_AUTH_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuthSettings(BaseModel):
    access_ttl_s: int = Field(default=900, ge=60, le=24 * 3600, description="JWT lifetime.")
    refresh_ttl_s: int = Field(
        default=30 * 24 * 3600, ge=3600, description="Refresh token lifetime (rotated on use)."
    )
    login_per_minute: int = Field(
        default=10, ge=1, description="Login/register attempts per IP and per account."
    )
