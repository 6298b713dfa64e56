"""Admins' credit adjustments: one ledger entry each, made once per Idempotency-Key.

Sync functions over a Core ``Connection``, inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, select

from pictor.accounts.errors import IdempotencyKeyReused
from pictor.accounts.models import CreditAdjustment, User
from pictor.credits import ledger
from pictor.db.base import utcnow
from pictor.errors import NotFound
from pictor.ids import new_id

ADJUSTMENTS = cast(Table, CreditAdjustment.__table__)
_a = ADJUSTMENTS.c


@dataclass(frozen=True)
class Adjustment:
    id: str
    user_id: str
    admin_id: str
    amount: int
    note: str
    available_after: int
    created_at: datetime
    #: An earlier request with the same Idempotency-Key made it; nothing changed now.
    replayed: bool = False


def request_hash(user_id: str, amount: int, note: str) -> str:
    canonical = json.dumps([user_id, amount, note], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def adjust_credits(
    conn: Connection,
    *,
    user_id: str,
    admin_id: str,
    amount: int,
    note: str,
    idempotency_key: str | None = None,
) -> Adjustment:
    """Add ``amount`` (negative: take it back) to the user's credits as an
    ``adjustment`` entry caused by the admin; with a key already used by this admin,
    the first adjustment again (or 409 if it was asked with other values)."""
    digest = request_hash(user_id, amount, note)
    if idempotency_key is not None:
        earlier = conn.execute(
            select(ADJUSTMENTS).where(
                _a.admin_id == admin_id, _a.idempotency_key == idempotency_key
            )
        ).first()
        if earlier is not None:
            if earlier.request_hash != digest:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used for another adjustment",
                    field="Idempotency-Key",
                )
            return Adjustment(
                id=earlier.id,
                user_id=earlier.user_id,
                admin_id=earlier.admin_id,
                amount=earlier.amount,
                note=earlier.note,
                available_after=earlier.available_after,
                created_at=earlier.created_at,
                replayed=True,
            )
    if conn.execute(select(User.id).where(User.id == user_id)).first() is None:
        raise NotFound(f"no user {user_id}")
    after = ledger.credit(
        conn,
        user_id,
        amount,
        entry="adjustment",
        cause_type="admin",
        cause_id=admin_id,
        note=note,
    )
    made = Adjustment(
        id=new_id("adj"),
        user_id=user_id,
        admin_id=admin_id,
        amount=amount,
        note=note,
        available_after=after,
        created_at=utcnow(),
    )
    conn.execute(
        insert(ADJUSTMENTS).values(
            id=made.id,
            user_id=user_id,
            admin_id=admin_id,
            amount=amount,
            note=note,
            available_after=after,
            idempotency_key=idempotency_key,
            request_hash=digest if idempotency_key is not None else None,
            created_at=made.created_at,
        )
    )
    return made
