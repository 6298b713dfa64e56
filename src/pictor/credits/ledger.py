"""The ledger: every change of a balance as an entry, the balance row kept in step.

Sync functions over a Core ``Connection``, run inside the caller's transaction (the
job insert, the final transition, a payment event), so money moves with the change it
pays for or not at all. A debit is one conditional ``UPDATE … WHERE available >= :n``:
on PostgreSQL a concurrent writer waits for the row lock and re-checks the condition,
on SQLite writers are serialized; either way no balance ever goes below zero (and the
table's CHECK constraints would refuse it if a bug tried).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel
from sqlalchemy import Connection, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pictor.credits.models import CreditBalance, CreditEntry, EntryType
from pictor.credits.settings import CreditsSettings
from pictor.db.base import UTCDateTime, utcnow
from pictor.errors import PictorError
from pictor.pipelines.localize_params import LocalizeParams

if TYPE_CHECKING:
    from pictor.config import Settings
    from pictor.pipelines.spec import PipelineSpec

BALANCES = cast(Table, CreditBalance.__table__)
ENTRIES = cast(Table, CreditEntry.__table__)
_b = BALANCES.c
_e = ENTRIES.c

#: Entries :func:`credit` may write (reserve/charge/release belong to jobs).
CREDIT_ENTRIES = frozenset(
    {EntryType.GRANT, EntryType.PURCHASE, EntryType.REFUND, EntryType.ADJUSTMENT}
)
#: Of those, the ones that may take credits away.
NEGATIVE_ENTRIES = frozenset({EntryType.REFUND, EntryType.ADJUSTMENT})


class InsufficientCredits(PictorError):
    """The balance does not cover the price (HTTP 402)."""

    code = "insufficient_credits"


@dataclass(frozen=True, slots=True)
class Balance:
    available: int
    reserved: int


_NOW = bindparam("at", type_=UTCDateTime())
_INSERT_ENTRY = insert(ENTRIES)
_BALANCE = select(_b.available, _b.reserved).where(_b.user_id == bindparam("uid"))
_DEBIT = (
    update(BALANCES)
    .where(_b.user_id == bindparam("uid"), _b.available >= bindparam("amt"))
    .values(
        available=_b.available - bindparam("amt"),
        reserved=_b.reserved + bindparam("to_reserved"),
        updated_at=_NOW,
    )
    .returning(_b.available)
)
_CREDIT = (
    update(BALANCES)
    .where(_b.user_id == bindparam("uid"))
    .values(available=_b.available + bindparam("amt"), updated_at=_NOW)
    .returning(_b.available)
)
_SETTLE = (
    update(BALANCES)
    .where(_b.user_id == bindparam("uid"), _b.reserved >= bindparam("held"))
    .values(
        available=_b.available + bindparam("released"),
        reserved=_b.reserved - bindparam("held"),
        updated_at=_NOW,
    )
    .returning(_b.available)
)
_OUTSTANDING = select(func.coalesce(func.sum(_e.reserved_delta), 0)).where(
    _e.cause_type == bindparam("cause_type"), _e.cause_id == bindparam("cause_id")
)


def _entry(
    user_id: str,
    entry: str,
    amount: int,
    reserved_delta: int,
    balance_after: int,
    cause_type: str,
    cause_id: str,
    note: str = "",
) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "entry": entry,
        "amount": amount,
        "reserved_delta": reserved_delta,
        "balance_after": balance_after,
        "cause_type": cause_type,
        "cause_id": cause_id,
        "note": note,
        "created_at": utcnow(),
    }


def open_account(conn: Connection, user_id: str, grant: int) -> None:
    """The user's balance row (nothing if it exists); a new one starts with ``grant``,
    written as a ``grant`` entry caused by the signup."""
    if grant < 0:
        raise ValueError("a signup grant cannot be negative")
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(BALANCES)
        .values(user_id=user_id, available=grant, reserved=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    created = conn.execute(statement).rowcount == 1
    if created and grant > 0:
        conn.execute(
            _INSERT_ENTRY, _entry(user_id, EntryType.GRANT, grant, 0, grant, "signup", user_id)
        )


def balance(conn: Connection, user_id: str) -> Balance:
    """Available and reserved credits (zero for a user without an account yet)."""
    row = conn.execute(_BALANCE, {"uid": user_id}).first()
    return Balance(0, 0) if row is None else Balance(int(row[0]), int(row[1]))


def shortfall(conn: Connection, user_id: str, required: int) -> InsufficientCredits:
    """The error for a reservation of ``required`` the balance did not cover, with what
    it has now (for a debit that changed nothing: ``reserve`` here, or the submit's
    one statement on PostgreSQL)."""
    have = balance(conn, user_id).available
    return InsufficientCredits(
        f"this needs {required} credit(s); {have} available",
        details={"required": required, "available": have},
    )


def reserve(conn: Connection, user_id: str, amount: int, *, cause_type: str, cause_id: str) -> None:
    """Move ``amount`` from available to reserved, or raise :class:`InsufficientCredits`
    (nothing changed). Zero reserves nothing."""
    reserve_many(conn, user_id, {cause_id: amount}, cause_type=cause_type)


def reserve_many(
    conn: Connection, user_id: str, amounts: Mapping[str, int], *, cause_type: str
) -> None:
    """Reserve an amount for each of several causes (``cause_id`` → amount), each as its
    own entry, as :func:`reserve` one after the other would, in two statements: one
    debit of their sum and the entries. Raises :class:`InsufficientCredits` for the sum
    when the balance does not cover it (nothing changed). Zero reserves nothing."""
    if any(amount < 0 for amount in amounts.values()):
        raise ValueError("cannot reserve a negative amount")
    held = {cause_id: amount for cause_id, amount in amounts.items() if amount > 0}
    total = sum(held.values())
    if total == 0:
        return
    params = {"uid": user_id, "amt": total, "to_reserved": total, "at": utcnow()}
    row = conn.execute(_DEBIT, params).first()
    if row is None:
        raise shortfall(conn, user_id, total)
    # Each entry's balance as if the causes had been reserved one after the other.
    after = int(row[0]) + total
    entries = []
    for cause_id, amount in held.items():
        after -= amount
        entries.append(
            _entry(user_id, EntryType.RESERVE, -amount, amount, after, cause_type, cause_id)
        )
    conn.execute(_INSERT_ENTRY, entries)


def settle(
    conn: Connection,
    user_id: str,
    reserved: int,
    charged: int,
    *,
    cause_type: str,
    cause_id: str,
) -> None:
    """End a reservation of ``reserved``: ``charged`` of it is spent (a ``charge``
    entry), the rest goes back to available (a ``release`` entry)."""
    if not 0 <= charged <= reserved:
        raise ValueError(f"cannot charge {charged} of a reservation of {reserved}")
    if reserved == 0:
        return
    released = reserved - charged
    params = {"uid": user_id, "held": reserved, "released": released, "at": utcnow()}
    row = conn.execute(_SETTLE, params).first()
    if row is None:
        raise RuntimeError(f"{user_id} has less than {reserved} reserved ({cause_type} {cause_id})")
    after = int(row[0])
    if charged:
        conn.execute(
            _INSERT_ENTRY,
            _entry(user_id, EntryType.CHARGE, 0, -charged, after - released, cause_type, cause_id),
        )
    if released:
        conn.execute(
            _INSERT_ENTRY,
            _entry(user_id, EntryType.RELEASE, released, -released, after, cause_type, cause_id),
        )


def outstanding(conn: Connection, *, cause_type: str, cause_id: str) -> int:
    """What is still reserved for one cause (the sum of its entries' reserved deltas)."""
    params = {"cause_type": cause_type, "cause_id": cause_id}
    return int(conn.execute(_OUTSTANDING, params).scalar_one())


def settle_outstanding(
    conn: Connection, user_id: str, charged: int, *, cause_type: str, cause_id: str
) -> int:
    """Settle whatever is still reserved for a cause, charging at most ``charged`` of it;
    returns what was charged. Settling twice is harmless: the second finds nothing."""
    held = outstanding(conn, cause_type=cause_type, cause_id=cause_id)
    if held <= 0:
        return 0
    charge = max(0, min(charged, held))
    settle(conn, user_id, held, charge, cause_type=cause_type, cause_id=cause_id)
    return charge


def credit(
    conn: Connection,
    user_id: str,
    amount: int,
    *,
    entry: str,
    cause_type: str,
    cause_id: str,
    note: str = "",
    clamp: bool = False,
) -> int:
    """Add (or, for refunds and adjustments, take) credits; returns the new available
    balance. Taking more than there is raises :class:`InsufficientCredits` unless
    ``clamp``, which takes what there is (the entry records what was taken)."""
    kind = EntryType(entry)
    if kind not in CREDIT_ENTRIES:
        raise ValueError(f"credit() does not write {entry!r} entries")
    if amount < 0 and kind not in NEGATIVE_ENTRIES:
        raise ValueError(f"a {entry} cannot be negative")
    open_account(conn, user_id, 0)
    now = utcnow()
    if amount >= 0:
        if amount == 0:
            return balance(conn, user_id).available
        row = conn.execute(_CREDIT, {"uid": user_id, "amt": amount, "at": now}).first()
        assert row is not None  # the account exists
        after = int(row[0])
        conn.execute(
            _INSERT_ENTRY, _entry(user_id, kind, amount, 0, after, cause_type, cause_id, note)
        )
        return after
    take = -amount
    while True:
        params = {"uid": user_id, "amt": take, "to_reserved": 0, "at": now}
        row = conn.execute(_DEBIT, params).first()
        if row is not None:
            break
        have = balance(conn, user_id).available
        if not clamp:
            raise InsufficientCredits(
                f"cannot take {-amount} credit(s); {have} available",
                details={"required": -amount, "available": have},
            )
        take = min(take, have)  # another transaction may spend some meanwhile: retry
    after = int(row[0])
    if take:
        conn.execute(
            _INSERT_ENTRY, _entry(user_id, kind, -take, 0, after, cause_type, cause_id, note)
        )
    return after


def price_for(
    settings: Settings | CreditsSettings,
    kind: str,
    params: BaseModel | Mapping[str, Any],
    *,
    spec: PipelineSpec | None = None,
) -> int:
    """The price of one job of ``kind`` with ``params``: the kind's unit price (the
    defaults, overridden by ``PICTOR_CREDITS_PRICES``) times its units (images for
    ``generate``/``edit``, languages for ``localize``). A kind without a price in the
    settings (plug-ins, test kinds) keeps the price its ``spec`` declares."""
    credits = settings if isinstance(settings, CreditsSettings) else settings.credits
    unit = credits.price_table().get(kind)
    if unit is None:
        if spec is None:
            raise ValueError(f"no price for job kind {kind!r}")
        return spec.cost if spec.cost_for is None else spec.cost_for(_as_model(spec, params))
    return unit * _units(kind, params)


def _as_model(spec: PipelineSpec, params: BaseModel | Mapping[str, Any]) -> BaseModel:
    return params if isinstance(params, BaseModel) else spec.params_model.model_validate(params)


def _units(kind: str, params: BaseModel | Mapping[str, Any]) -> int:
    if kind in ("generate", "edit"):
        n = params.get("n", 1) if isinstance(params, Mapping) else getattr(params, "n", 1)
        return max(1, int(n))
    if kind == "localize":
        if not isinstance(params, LocalizeParams):
            raw = params if isinstance(params, Mapping) else params.model_dump()
            params = LocalizeParams.model_validate(raw)
        return len(params.targets())
    return 1
