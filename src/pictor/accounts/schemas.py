"""Wire formats of accounts: what clients send (strict) and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pictor.accounts.passwords import MAX_LENGTH


class StrictIn(BaseModel):
    """Unknown fields are refused: a client can never slip in ``role`` or ``credits``."""

    model_config = ConfigDict(extra="forbid")


class RegisterIn(StrictIn):
    email: str = Field(max_length=320, examples=["ada@example.com"])
    password: str = Field(max_length=MAX_LENGTH, examples=["correct horse battery"])


class LoginIn(StrictIn):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class RefreshIn(StrictIn):
    refresh_token: str = Field(max_length=2048)


class KeyIn(StrictIn):
    name: str = Field(default="", max_length=100, examples=["laptop"])


class CreditsAdjustIn(StrictIn):
    amount: int = Field(
        ge=-1_000_000_000, le=1_000_000_000, description="Credits to add (negative: take back)."
    )
    note: str = Field(default="", max_length=500)


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type
    expires_in: int = Field(description="Seconds the access token stays valid.")
    refresh_token: str
    refresh_expires_in: int


class UserOut(BaseModel):
    id: str
    email: str
    role: str
    is_active: bool
    created_at: datetime
    has_password: bool


class RegisteredOut(TokenPair):
    user: UserOut


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    key: str = Field(description="The secret: shown this once, never again.")


class KeyList(BaseModel):
    data: list[KeyOut]
