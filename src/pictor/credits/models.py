"""Tables: credit_balances (one row per user) and credit_entries (the ledger).

Every change of a balance is an entry; the balance row is the sum of the entries,
kept up to date in the transaction that writes them. ``amount`` is the change of
``available`` and ``reserved_delta`` the change of ``reserved``: a reservation moves
credits from available to reserved (``-n``, ``+n``), a charge consumes reserved credits
(``0``, ``-n``), a release gives them back (``+n``, ``-n``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, UTCDateTime, utcnow


class EntryType(StrEnum):
    GRANT = "grant"
    PURCHASE = "purchase"
    RESERVE = "reserve"
    CHARGE = "charge"
    RELEASE = "release"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


class CreditBalance(Base):
    __tablename__ = "credit_balances"
    __table_args__ = (
        CheckConstraint("available >= 0", name="available_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditEntry(Base):
    __tablename__ = "credit_entries"
    __table_args__ = (
        Index("ix_credit_entries_user_id_id", "user_id", "id"),
        Index("ix_credit_entries_cause", "cause_type", "cause_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    entry: Mapped[str] = mapped_column(String(16))
    #: The change of ``available`` (signed).
    amount: Mapped[int] = mapped_column(BigInteger)
    #: The change of ``reserved`` (signed).
    reserved_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    #: ``available`` after this entry.
    balance_after: Mapped[int] = mapped_column(BigInteger)
    #: What caused it: "job", "batch", "payment", "admin", "signup".
    cause_type: Mapped[str] = mapped_column(String(16))
    cause_id: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
