"""Settings of credits: prices and the signup grant (``PICTOR_CREDITS_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CreditsSettings(BaseModel):
    signup_grant: int = Field(default=20, ge=0, description="Credits a new user starts with.")
    prices: dict[str, int] = Field(
        default_factory=dict,
        description='Price overrides per kind, e.g. {"generate": 5}; defaults in docs.',
    )
