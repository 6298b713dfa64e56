"""Buying a pack: a checkout row first, then a Stripe Checkout Session, then its URL.

The row is written before Stripe is called so that the session's metadata can name it
(a webhook finds the purchase even if our write of the session id is lost). A client's
``Idempotency-Key`` names one row per user: the same key with the same request replays
the stored session; with another request it is a 409. Stripe gets its own key derived
from (user, client key) — or (user, checkout id) without one — so the SDK's network
retries and a replay after a lost answer never create a second session.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pictor.billing.errors import BillingUnavailable, IdempotencyKeyReused, UnknownPack
from pictor.billing.models import CheckoutSession, CheckoutStatus
from pictor.billing.redirects import Redirects
from pictor.billing.schemas import CheckoutOut
from pictor.billing.settings import BillingSettings, CreditPack
from pictor.billing.stripe_gateway import CheckoutRequest, StripeGateway
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.ids import new_id

CHECKOUTS = cast(Table, CheckoutSession.__table__)
_c = CHECKOUTS.c


@dataclass(frozen=True, slots=True)
class Order:
    user_id: str
    pack_name: str
    redirects: Redirects
    idempotency_key: str | None


def pack_of(billing: BillingSettings, name: str) -> CreditPack:
    pack = billing.packs.get(name)
    if pack is None:
        raise UnknownPack(
            f"unknown pack {name!r}; packs: {', '.join(sorted(billing.packs))}",
            field="pack",
            details={"packs": sorted(billing.packs)},
        )
    return pack


def request_hash(order: Order) -> str:
    canonical = json.dumps(
        [order.pack_name, order.redirects.success_url, order.redirects.cancel_url]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def stripe_idempotency_key(user_id: str, key: str) -> str:
    return "pictor-checkout-" + hashlib.sha256(f"{user_id}\n{key}".encode()).hexdigest()[:48]


async def create_checkout(
    db: Database, gateway: StripeGateway, order: Order
) -> tuple[CheckoutOut, bool]:
    """The checkout of ``order`` and whether it is new (False: an idempotent replay)."""
    billing = gateway.settings
    pack = pack_of(billing, order.pack_name)
    if not billing.configured:
        raise BillingUnavailable("payments are not set up: set PICTOR_BILLING_STRIPE_SECRET_KEY")
    digest = request_hash(order)
    row = await db.write(lambda conn: _claim_row(conn, order, pack, billing.currency, digest))
    if row.status != CheckoutStatus.PENDING:
        return _out(row), False
    request = CheckoutRequest(
        checkout_id=row.id,
        user_id=order.user_id,
        pack_name=order.pack_name,
        pack=pack,
        currency=row.currency,
        success_url=order.redirects.success_url,
        cancel_url=order.redirects.cancel_url,
        idempotency_key=stripe_idempotency_key(order.user_id, order.idempotency_key or row.id),
    )
    try:
        session = await gateway.create_checkout(request)
    except Exception:
        if order.idempotency_key is None:
            await db.write(lambda conn: _drop_pending(conn, row.id))
        raise
    stored = await db.write(
        lambda conn: _opened(conn, row.id, session.id, session.url, session.expires_at)
    )
    return _out(stored), True


def _claim_row(
    conn: Connection, order: Order, pack: CreditPack, currency: str, digest: str
) -> Row[Any]:
    """A new pending row, or the one already stored under the client's key."""
    now = utcnow()
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CHECKOUTS).values(
        id=new_id("chk"),
        user_id=order.user_id,
        pack=order.pack_name,
        credits=pack.credits,
        amount=pack.amount,
        currency=currency,
        status=CheckoutStatus.PENDING,
        idempotency_key=order.idempotency_key,
        request_hash=digest,
        refunded_amount=0,
        credits_refund_due=0,
        credits_refunded=0,
        created_at=now,
        updated_at=now,
    )
    if order.idempotency_key is not None:
        # Two racing requests with one key: one inserts, the other reads its row.
        statement = statement.on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
    statement = statement.returning(*CHECKOUTS.c)
    row = conn.execute(statement).first()
    if row is not None:
        return row
    existing = conn.execute(
        select(CHECKOUTS).where(
            _c.user_id == order.user_id, _c.idempotency_key == order.idempotency_key
        )
    ).one()
    if existing.request_hash != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for another checkout",
            field="Idempotency-Key",
        )
    return existing


def _drop_pending(conn: Connection, checkout_id: str) -> None:
    conn.execute(delete(CHECKOUTS).where(_c.id == checkout_id, _c.status == CheckoutStatus.PENDING))


def _opened(
    conn: Connection, checkout_id: str, session_id: str, url: str, expires_at: datetime | None
) -> Row[Any]:
    conn.execute(
        update(CHECKOUTS)
        .where(_c.id == checkout_id, _c.status == CheckoutStatus.PENDING)
        .values(
            status=CheckoutStatus.OPEN,
            stripe_session_id=session_id,
            url=url,
            expires_at=expires_at,
            updated_at=utcnow(),
        )
    )
    return conn.execute(select(CHECKOUTS).where(_c.id == checkout_id)).one()


def _out(row: Row[Any]) -> CheckoutOut:
    return CheckoutOut(
        id=row.stripe_session_id,
        url=row.url,
        pack=row.pack,
        credits=row.credits,
        amount=row.amount,
        currency=row.currency,
        status=row.status,
        expires_at=row.expires_at,
    )
