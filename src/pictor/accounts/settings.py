"""Settings of sign-in: tokens, password hashing and rate limits (``PICTOR_AUTH_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

#: ``PICTOR_AUTH_RATE_LIMIT_URL=local``: count in each process even when Redis is there.
LOCAL = "local"
REDIS_SCHEMES = ("redis://", "rediss://")


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
    rate_limit_url: str | None = Field(
        default=None,
        description="redis://host:6379/0: the login and registration limits are counted in"
        " Redis, shared by every API process; 'local': in each process's memory. Unset: the"
        " events URL or else the broker URL when it is redis://, else in-process.",
    )
    rate_limit_prefix: str = Field(
        default="pictor:ratelimit",
        min_length=1,
        description="Prefix of the Redis keys of the limits; one per deployment sharing a"
        " Redis database.",
    )
    rate_limit_timeout_s: float = Field(
        default=0.5, gt=0, le=30, description="Longest wait for Redis before counting locally."
    )
    rate_limit_retry_s: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="After Redis failed, count in-process this long before asking it again.",
    )
    password_time_cost: int = Field(default=3, ge=1, le=20, description="argon2id passes.")
    password_memory_kib: int = Field(
        default=65536, ge=8192, le=4 * 1024 * 1024, description="argon2id memory, KiB."
    )
    password_parallelism: int = Field(default=4, ge=1, le=64, description="argon2id lanes.")

    @field_validator("rate_limit_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value and value != LOCAL and not value.startswith(REDIS_SCHEMES):
            raise ValueError("PICTOR_AUTH_RATE_LIMIT_URL must be a redis:// URL or 'local'")
        return value
