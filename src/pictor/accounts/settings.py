"""Settings of sign-in: tokens, password hashing and rate limits (``PICTOR_AUTH_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuthSettings(BaseModel):
    access_ttl_s: int = Field(default=900, ge=60, le=24 * 3600, description="JWT lifetime.")
    refresh_ttl_s: int = Field(
        default=30 * 24 * 3600, ge=3600, description="Refresh token lifetime (rotated on use)."
    )
    login_per_minute: int = Field(
        default=10, ge=1, description="Login attempts per minute, per client IP and per email."
    )
    register_per_minute: int = Field(
        default=5, ge=1, description="Registrations per minute, per client IP and per email."
    )
    password_time_cost: int = Field(default=3, ge=1, le=20, description="argon2id passes.")
    password_memory_kib: int = Field(
        default=65536, ge=8192, le=4 * 1024 * 1024, description="argon2id memory, KiB."
    )
    password_parallelism: int = Field(default=4, ge=1, le=64, description="argon2id lanes.")
