"""Table of batches: many jobs submitted at once, at a discount, at lower priority.

The jobs of a batch are ordinary ``jobs`` rows (``jobs.batch_id``, ``jobs.priority``);
a batch row keeps what the jobs do not: the order of its items, its price and its
lifecycle. Counts, progress and money spent are read from the jobs (the truth).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, JSONType, UTCDateTime, utcnow
from pictor.ids import new_id


class BatchStatus(StrEnum):
    #: No item has started yet.
    QUEUED = "queued"
    #: Some item started; not all have ended.
    RUNNING = "running"
    #: Every item ended (each succeeded, failed or was canceled on its own).
    COMPLETED = "completed"
    #: Canceled by request: queued items were canceled, running ones finished.
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in (BatchStatus.COMPLETED, BatchStatus.CANCELED)


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("owner_id", "idempotency_key"),
        Index("ix_batches_owner_created", "owner_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("bat"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: Stored as ``queued`` until the batch ends (``completed`` or ``canceled``); whether
    #: it is ``running`` meanwhile is read from its jobs.
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.QUEUED)
    item_count: Mapped[int] = mapped_column(Integer)
    #: The items' job ids, in the order they were given (an item's index is its place).
    job_ids: Mapped[list[str]] = mapped_column(JSONType)
    #: Share taken off the list price when the batch was made (0.5: half price).
    discount: Mapped[float] = mapped_column(Float)
    #: What the items would cost one by one, and what the batch reserved for them.
    list_price: Mapped[int] = mapped_column(Integer)
    total_cost: Mapped[int] = mapped_column(Integer)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    #: Which events go to ``webhook_url`` besides the final one (None: the final one).
    webhook_events: Mapped[list[str] | None] = mapped_column(JSONType, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
