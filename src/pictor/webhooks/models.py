"""Tables of webhooks: signing secrets, deliveries (with their attempts), disabled URLs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, JSONType, UTCDateTime, utcnow
from pictor.ids import new_id


class WebhookSecret(Base):
    """A user's signing secret; after a rotation the previous one signs too, for a while."""

    __tablename__ = "webhook_secrets"

    owner_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    previous_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class WebhookDelivery(Base):
    """One message to one URL, retried until it succeeds, fails for good, or is disabled."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_owner_id_id", "owner_id", "id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whd"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    batch_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    #: ``job.running``, ``job.progress``, ``job.succeeded``, ``batch.completed``, ...
    event_type: Mapped[str] = mapped_column(String(40))
    #: Makes recording an event idempotent (``{job_id}.{seq}``); None for coalesced progress.
    event_key: Mapped[str | None] = mapped_column(String(80), default=None, unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    url: Mapped[str] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: ``[{"at", "status_code", "error", "duration_ms"}, ...]``, oldest first.
    attempt_log: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: Set while a sender holds it, so two loops never send the same delivery at once.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDisabledUrl(Base):
    """A URL that answered 410 Gone: nothing more is sent there for its owner."""

    __tablename__ = "webhook_disabled_urls"

    owner_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    url_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    delivery_id: Mapped[str] = mapped_column(String(40))
    disabled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
