"""Tables: checkout_sessions (one per purchase), stripe_events (each event id once) and
stripe_payments (what Stripe told us about each payment intent, whatever the order)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, UTCDateTime, utcnow
from pictor.ids import new_id


class CheckoutStatus(StrEnum):
    #: Stored, Stripe not answered yet (or it failed: the row is then deleted).
    PENDING = "pending"
    #: A Stripe Checkout Session waits for the buyer.
    OPEN = "open"
    #: The buyer finished, the payment is still on its way (bank debits and the like).
    PROCESSING = "processing"
    #: Paid: the pack's credits were granted (once).
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


class CheckoutSession(Base):
    __tablename__ = "checkout_sessions"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("chk"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    pack: Mapped[str] = mapped_column(String(32))
    credits: Mapped[int] = mapped_column(Integer)
    #: The price in the smallest currency unit, as sent to Stripe.
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=CheckoutStatus.PENDING)
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    #: The client's Idempotency-Key and the hash of what it asked for with it.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    payment_intent: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    #: Refunded so far, in the smallest currency unit (Stripe's cumulative figure).
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    #: Credits the refunds call for (proportional), and those actually taken back
    #: (fewer when the buyer had already spent them: a balance never goes negative).
    credits_refund_due: Mapped[int] = mapped_column(Integer, default=0)
    credits_refunded: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class StripeEvent(Base):
    """Every verified event, stored once: a replay finds its id and changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    #: The id of the event's object (cs_..., ch_...).
    object_id: Mapped[str | None] = mapped_column(String(255), default=None)
    livemode: Mapped[bool] = mapped_column(default=False)
    #: What handling it did: granted, refund_applied, refund_pending, ignored, ...
    outcome: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StripePayment(Base):
    """One payment intent, written by both the completion and the refund events: the
    one that commits second reads what the first wrote (its upsert waits for the row),
    so a refund that arrives before the purchase is applied when the purchase lands."""

    __tablename__ = "stripe_payments"

    payment_intent: Mapped[str] = mapped_column(String(255), primary_key=True)
    checkout_id: Mapped[str | None] = mapped_column(String(40), default=None)
    charge_id: Mapped[str | None] = mapped_column(String(255), default=None)
    #: The charge's amount and how much of it is refunded (cumulative, the largest seen).
    amount: Mapped[int | None] = mapped_column(Integer, default=None)
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
