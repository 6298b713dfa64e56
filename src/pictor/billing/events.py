"""What each verified Stripe event does, in the transaction that stores its id.

- ``checkout.session.completed`` (paid) and ``checkout.session.async_payment_succeeded``
  grant the pack's credits: one conditional ``UPDATE … WHERE status <> 'paid'`` decides,
  so a session is credited once whichever of its events arrive, in whatever order.
- ``charge.refunded`` takes back credits in proportion to the refunded amount (rounded
  down; a full refund takes the whole pack), at most what the buyer still has. The charge
  is tied to the purchase by its payment intent through ``stripe_payments``: a refund
  that arrives before the purchase is kept there and applied when the purchase lands.
- Any other type is stored and acknowledged, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pictor.accounts.models import User
from pictor.billing.models import CheckoutSession, CheckoutStatus, StripeEvent, StripePayment
from pictor.credits import ledger
from pictor.credits.models import CreditEntry
from pictor.db.base import utcnow
from pictor.ids import new_id

CHECKOUTS = cast(Table, CheckoutSession.__table__)
EVENTS = cast(Table, StripeEvent.__table__)
PAYMENTS = cast(Table, StripePayment.__table__)
ENTRIES = cast(Table, CreditEntry.__table__)
USERS = cast(Table, User.__table__)
_c = CHECKOUTS.c
_p = PAYMENTS.c

Handler = Callable[[Connection, Mapping[str, Any]], str]


def handle_event(conn: Connection, event: Mapping[str, Any]) -> str:
    """Store ``event`` (a verified Stripe event) and act on it; returns the outcome.
    An event id seen before changes nothing: ``"duplicate"``."""
    obj = event.get("data", {}).get("object") or {}
    if not _record(conn, event, obj):
        return "duplicate"
    handler = HANDLERS.get(str(event["type"]))
    outcome = handler(conn, obj) if handler else "ignored"
    conn.execute(update(EVENTS).where(EVENTS.c.id == event["id"]).values(outcome=outcome))
    return outcome


def _dialect(conn: Connection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def _record(conn: Connection, event: Mapping[str, Any], obj: Mapping[str, Any]) -> bool:
    # A concurrent delivery of the same id waits on the key, then finds it taken.
    object_id = obj.get("id")
    statement = (
        _dialect(conn)
        .insert(EVENTS)
        .values(
            id=event["id"],
            type=str(event["type"])[:100],
            object_id=object_id[:255] if isinstance(object_id, str) else None,
            livemode=bool(event.get("livemode", False)),
            outcome="processing",
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return bool(conn.execute(statement).rowcount == 1)


def _session_completed(conn: Connection, session: Mapping[str, Any]) -> str:
    if session.get("payment_status") == "paid":
        return _grant(conn, session)
    row = _find_checkout(conn, session)
    if row is None:
        return "unknown_session"
    _set_status(conn, row.id, CheckoutStatus.PROCESSING, session, only_from=_UNSETTLED)
    return "not_paid"


def _async_succeeded(conn: Connection, session: Mapping[str, Any]) -> str:
    return _grant(conn, session)


def _async_failed(conn: Connection, session: Mapping[str, Any]) -> str:
    row = _find_checkout(conn, session)
    if row is None:
        return "unknown_session"
    _set_status(conn, row.id, CheckoutStatus.FAILED, session, only_from=_UNSETTLED)
    return "payment_failed"


def _expired(conn: Connection, session: Mapping[str, Any]) -> str:
    row = _find_checkout(conn, session)
    if row is None:
        return "unknown_session"
    _set_status(conn, row.id, CheckoutStatus.EXPIRED, session, only_from=_UNSETTLED)
    return "expired"


_UNSETTLED = (CheckoutStatus.PENDING, CheckoutStatus.OPEN, CheckoutStatus.PROCESSING)


def _set_status(
    conn: Connection,
    checkout_id: str,
    status: CheckoutStatus,
    session: Mapping[str, Any],
    *,
    only_from: tuple[CheckoutStatus, ...],
) -> int:
    values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
    if isinstance(session.get("payment_intent"), str):
        values["payment_intent"] = session["payment_intent"]
    statement = (
        update(CHECKOUTS)
        .where(_c.id == checkout_id, _c.status.in_([s.value for s in only_from]))
        .values(**values)
    )
    return int(conn.execute(statement).rowcount)


def _grant(conn: Connection, session: Mapping[str, Any]) -> str:
    row = _find_checkout(conn, session)
    if row is None:
        return "unknown_session"
    now = utcnow()
    payment_intent = session.get("payment_intent")
    payment_intent = payment_intent if isinstance(payment_intent, str) else None
    statement = (
        update(CHECKOUTS)
        .where(_c.id == row.id, _c.status != CheckoutStatus.PAID)
        .values(status=CheckoutStatus.PAID, paid_at=now, updated_at=now)
        .values(payment_intent=func.coalesce(payment_intent, _c.payment_intent))
    )
    if conn.execute(statement).rowcount != 1:
        return "already_granted"
    ledger.credit(
        conn,
        row.user_id,
        row.credits,
        entry="purchase",
        cause_type="payment",
        cause_id=row.stripe_session_id,
        note=f"{row.pack} pack: {row.credits} credits",
    )
    if payment_intent:
        payment = _upsert_payment(conn, payment_intent, checkout_id=row.id)
        if payment.amount_refunded > 0:
            _apply_refunds(conn, row.id)
    return "granted"


def _find_checkout(conn: Connection, session: Mapping[str, Any]) -> Row[Any] | None:
    """Our row of this Checkout Session: by its id; else by the ``checkout_id`` we put in
    its metadata (our write of the session id was lost); else made from that metadata
    (signed by Stripe, set by us) if it names a user of this server."""
    session_id = session.get("id")
    if not isinstance(session_id, str):
        return None
    found = conn.execute(select(CHECKOUTS).where(_c.stripe_session_id == session_id)).first()
    if found is not None:
        return found
    meta = session.get("metadata") or {}
    checkout_id, user_id = meta.get("checkout_id"), meta.get("user_id")
    if not isinstance(checkout_id, str) or not isinstance(user_id, str):
        return None
    found = conn.execute(
        select(CHECKOUTS).where(_c.id == checkout_id, _c.user_id == user_id)
    ).first()
    if found is not None:
        conn.execute(
            update(CHECKOUTS).where(_c.id == checkout_id).values(stripe_session_id=session_id)
        )
    else:
        if not _adoptable(conn, session, meta):
            return None
        conn.execute(
            insert(CHECKOUTS).values(
                id=new_id("chk"),
                user_id=user_id,
                pack=str(meta.get("pack", ""))[:32],
                credits=int(meta["credits"]),
                amount=int(session["amount_total"]),
                currency=str(session.get("currency", ""))[:3],
                status=CheckoutStatus.OPEN,
                stripe_session_id=session_id,
                url=None,
                refunded_amount=0,
                credits_refund_due=0,
                credits_refunded=0,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    return conn.execute(select(CHECKOUTS).where(_c.stripe_session_id == session_id)).first()


def _adoptable(conn: Connection, session: Mapping[str, Any], meta: Mapping[str, Any]) -> bool:
    credits, amount = str(meta.get("credits", "")), session.get("amount_total")
    if not credits.isdigit() or int(credits) <= 0 or not isinstance(amount, int) or amount <= 0:
        return False
    user = conn.execute(select(USERS.c.id).where(USERS.c.id == meta["user_id"])).first()
    return user is not None


def _charge_refunded(conn: Connection, charge: Mapping[str, Any]) -> str:
    payment_intent, amount = charge.get("payment_intent"), charge.get("amount")
    refunded = charge.get("amount_refunded")
    if not isinstance(payment_intent, str) or not isinstance(refunded, int):
        return "ignored"
    charge_id = charge.get("id")
    payment = _upsert_payment(
        conn,
        payment_intent,
        charge_id=charge_id if isinstance(charge_id, str) else None,
        amount=amount if isinstance(amount, int) and amount > 0 else None,
        amount_refunded=max(0, refunded),
    )
    if payment.checkout_id is None:
        return "refund_pending"
    return _apply_refunds(conn, payment.checkout_id)


def _upsert_payment(
    conn: Connection,
    payment_intent: str,
    *,
    checkout_id: str | None = None,
    charge_id: str | None = None,
    amount: int | None = None,
    amount_refunded: int = 0,
) -> Row[Any]:
    """Merge what one event says about a payment intent into its row and return the
    row: on PostgreSQL the second of two racing writers waits for the first's commit
    and merges into what it wrote, so one of the two sees both facts."""
    statement = (
        _dialect(conn)
        .insert(PAYMENTS)
        .values(
            payment_intent=payment_intent,
            checkout_id=checkout_id,
            charge_id=charge_id,
            amount=amount,
            amount_refunded=amount_refunded,
            updated_at=utcnow(),
        )
    )
    new = statement.excluded
    merged: dict[str, Any] = {"updated_at": new.updated_at}
    if checkout_id is not None:
        merged["checkout_id"] = new.checkout_id
    else:
        merged["charge_id"] = func.coalesce(new.charge_id, _p.charge_id)
        merged["amount"] = func.coalesce(new.amount, _p.amount)
        merged["amount_refunded"] = case(
            (new.amount_refunded > _p.amount_refunded, new.amount_refunded),
            else_=_p.amount_refunded,
        )
    statement = statement.on_conflict_do_update(
        index_elements=["payment_intent"], set_=merged
    ).returning(_p.checkout_id, _p.amount, _p.amount_refunded)
    row = conn.execute(statement).first()
    assert row is not None
    return row


def _apply_refunds(conn: Connection, checkout_id: str) -> str:
    """Take back what the refunds of a paid purchase call for and was not taken yet."""
    row = conn.execute(select(CHECKOUTS).where(_c.id == checkout_id)).first()
    if row is None or row.status != CheckoutStatus.PAID or row.payment_intent is None:
        return "refund_pending"
    payment = conn.execute(select(PAYMENTS).where(_p.payment_intent == row.payment_intent)).first()
    if payment is None:
        return "refund_pending"
    basis = payment.amount or row.amount
    refunded = min(payment.amount_refunded, basis)
    due = row.credits * refunded // basis
    if refunded <= row.refunded_amount and due <= row.credits_refund_due:
        return "refund_already_applied"
    taken = 0
    if due > row.credits_refund_due:
        taken = _take_back(conn, row, due - row.credits_refund_due, payment, refunded, basis)
    conn.execute(
        update(CHECKOUTS)
        .where(_c.id == row.id)
        .values(
            refunded_amount=refunded,
            credits_refund_due=due,
            credits_refunded=_c.credits_refunded + taken,
            updated_at=utcnow(),
        )
    )
    return "refund_applied"


def _take_back(
    conn: Connection, row: Row[Any], credits: int, payment: Row[Any], refunded: int, basis: int
) -> int:
    """Take ``credits`` (or what is left of them) with a refund entry; returns how many
    were taken, read from the entries (the balance may change under us meanwhile)."""
    taken_so_far = select(func.coalesce(func.sum(ENTRIES.c.amount), 0)).where(
        ENTRIES.c.cause_type == "payment",
        ENTRIES.c.cause_id == row.stripe_session_id,
        ENTRIES.c.entry == "refund",
    )
    before = int(conn.execute(taken_so_far).scalar_one())
    ledger.credit(
        conn,
        row.user_id,
        -credits,
        entry="refund",
        cause_type="payment",
        cause_id=row.stripe_session_id,
        note=f"charge {payment.charge_id}: {refunded} of {basis} {row.currency} refunded",
        clamp=True,
    )
    return before - int(conn.execute(taken_so_far).scalar_one())


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _async_succeeded,
    "checkout.session.async_payment_failed": _async_failed,
    "checkout.session.expired": _expired,
    "charge.refunded": _charge_refunded,
}
