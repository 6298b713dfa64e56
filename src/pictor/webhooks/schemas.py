"""Wire format of /v1/webhooks: the signing secret and deliveries with their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from pictor.webhooks.repository import DeliveryRow

SCHEME = "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature v1)"
DeliveryStatus = Literal["pending", "succeeded", "failed", "disabled"]


class NewSecretOut(BaseModel):
    object: Literal["webhook_secret"] = "webhook_secret"
    secret: str = Field(description="Shown this once: keep it where your receiver runs.")
    created_at: datetime
    previous_expires_at: datetime | None = Field(
        description="Until then the replaced secret also signs every delivery."
    )
    scheme: str = SCHEME


class SecretStateOut(BaseModel):
    object: Literal["webhook_secret"] = "webhook_secret"
    exists: bool
    created_at: datetime | None
    previous_expires_at: datetime | None
    scheme: str = SCHEME


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    type: str
    job_id: str | None
    batch_id: str | None
    url: str
    status: DeliveryStatus
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: DeliveryRow) -> DeliveryOut:
        return cls(
            id=row.id,
            type=row.event_type,
            job_id=row.job_id,
            batch_id=row.batch_id,
            url=row.url,
            status=row.status,
            attempts=[AttemptOut.model_validate(a) for a in row.attempt_log],
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            payload=row.payload,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class DeliveryPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[DeliveryOut]
    next_cursor: str | None
    has_more: bool
