"""PostgreSQL's one-statement state changes: the job's ``UPDATE`` (fenced as in
:mod:`pictor.jobs.transitions`), its event's ``INSERT`` and, at the end of a priced job,
the ledger's settlement, as data-modifying CTEs of one statement.

One statement is one round trip, and atomic on its own, so the runner sends it in
autocommit, on asyncpg directly (``Database.fetch_direct``, :mod:`pictor.db.direct`): a
claim or a finish costs the worker one round trip instead of four to seven (``BEGIN``,
each statement, ``COMMIT``). Every part
hangs on the ``moved`` CTE: when the fenced ``UPDATE`` changes no row (another worker,
a later attempt, a cancel), the event and the ledger parts change nothing either.
The submit's statement (:mod:`pictor.jobs.submit_pg`) takes its event and its
reservation from here too.

SQLite has ``RETURNING`` but no data-modifying CTEs: it keeps the statement-by-statement
path, inside one transaction (see ``changes.change_with_event``).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    CTE,
    BigInteger,
    Integer,
    Select,
    String,
    Table,
    Update,
    bindparam,
    func,
    insert,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from pictor.credits.ledger import BALANCES, ENTRIES
from pictor.credits.models import EntryType
from pictor.db.base import UTCDateTime
from pictor.jobs.models import JobEvent

EVENTS = cast(Table, JobEvent.__table__)
_EVENT_COLUMNS = ["job_id", "seq", "type", "data", "created_at"]
_ENTRY_COLUMNS = [
    "user_id",
    "entry",
    "amount",
    "reserved_delta",
    "balance_after",
    "cause_type",
    "cause_id",
    "note",
    "created_at",
]
_b = BALANCES.c
_e = ENTRIES.c


def _now() -> Any:
    return bindparam("now", type_=UTCDateTime())


def event_insert(job_id: Any, seq: Any, type_: Any, data: Any, created_at: Any) -> CTE:
    """The ``event`` CTE: the ``INSERT`` of a job's event from these expressions, one row
    for each row of the CTE ``job_id`` comes from (none when that CTE changed nothing)."""
    values = select(job_id, seq, type_, data, created_at)
    return insert(EVENTS).from_select(_EVENT_COLUMNS, values).cte("event")


def claim_statement(claim: Update) -> Select[Any]:
    """``claim`` (queued → running, ``RETURNING`` every column) with its ``running``
    event; returns the claimed row, or no row."""
    claimed = claim.cte("claimed")
    data = func.jsonb_build_object(
        literal("status"), literal("running"), literal("attempt"), claimed.c.attempts
    )
    running = literal("running", String)
    event = event_insert(claimed.c.id, claimed.c.event_seq, running, data, _now())
    return select(*claimed.c).add_cte(event)


def change_statement(change: Update, settle: bool) -> Select[Any]:
    """``change`` (a fenced ``UPDATE … RETURNING id, event_seq``) with its event (bound
    ``type`` and ``data``) and, with ``settle``, the ledger's end of the job's
    reservation; returns the new event number, or no row."""
    moved = change.cte("moved")
    event = event_insert(
        moved.c.id,
        moved.c.event_seq,
        bindparam("type", type_=String()),
        bindparam("data", type_=JSONB()),
        _now(),
    )
    statement = select(moved.c.event_seq).add_cte(event)
    if settle:
        statement = statement.add_cte(*_settlement(moved))
    return statement


def _settlement(moved: CTE) -> list[CTE]:
    """What ``ledger.settle_outstanding`` does, as CTEs: whatever the job still holds
    (the sum of its entries' reserved deltas) leaves ``reserved``; the bound ``spent``
    of it (at most what it holds) is spent, a ``charge`` entry, and the rest goes back
    to ``available``, a ``release`` entry.

    A balance that holds less than that would go negative: the table's CHECK refuses it
    and the whole statement fails, as ``ledger.settle`` raises. The entries are joined to
    the balance's update with a LEFT JOIN, so a missing balance row leaves their
    ``balance_after`` NULL, which NOT NULL refuses: the statement fails then too.
    """
    outstanding = func.coalesce(func.sum(_e.reserved_delta), 0).cast(BigInteger)
    spent = func.least(bindparam("spent", type_=BigInteger()), outstanding)
    held = (
        select(outstanding.label("amount"), spent.label("charged"))
        .select_from(moved.join(ENTRIES, (_e.cause_type == "job") & (_e.cause_id == moved.c.id)))
        .cte("held")
    )
    h = held.c
    released = h.amount - h.charged
    balance = (
        update(BALANCES)
        .where(_b.user_id == bindparam("payer_id"), select(h.amount).scalar_subquery() > 0)
        .values(
            available=_b.available + select(released).scalar_subquery(),
            reserved=_b.reserved - select(h.amount).scalar_subquery(),
            updated_at=_now(),
        )
        .returning(_b.available.label("after"))
        .cte("balance")
    )
    after = balance.c.after
    joined = held.outerjoin(balance, true())
    payer = bindparam("payer_id", type_=String())
    job_id = bindparam("job_id", type_=String())
    zero = literal(0, Integer)
    charge = _job_entry(EntryType.CHARGE, payer, zero, -h.charged, after - released, job_id, _now())
    release = _job_entry(EntryType.RELEASE, payer, released, -released, after, job_id, _now())
    entries = insert(ENTRIES).from_select(
        _ENTRY_COLUMNS,
        union_all(
            charge.select_from(joined).where(h.charged > 0),
            release.select_from(joined).where(h.amount > h.charged),
        ),
    )
    return [held, balance, entries.cte("entries")]


def reservation(payer: Any, cost: Any, job_id: Any, now: Any) -> tuple[CTE, CTE]:
    """What ``ledger.reserve`` does, as CTEs: ``debit`` moves ``cost`` from ``payer``'s
    available credits to reserved only where available covers it (the same conditional
    ``UPDATE``: a concurrent writer waits for the row lock and re-checks the condition),
    ``entry`` is its ``reserve`` entry. When the balance does not cover the price
    ``debit`` has no row: the entry, and whatever else selects from ``debit``, write
    nothing."""
    debit = (
        update(BALANCES)
        .where(_b.user_id == payer, _b.available >= cost)
        .values(available=_b.available - cost, reserved=_b.reserved + cost, updated_at=now)
        .returning(_b.available.label("after"))
        .cte("debit")
    )
    reserve = _job_entry(EntryType.RESERVE, payer, -cost, cost, debit.c.after, job_id, now)
    entry = insert(ENTRIES).from_select(_ENTRY_COLUMNS, reserve.select_from(debit))
    return debit, entry.cte("entry")


def _job_entry(
    kind: EntryType, payer: Any, amount: Any, delta: Any, balance_after: Any, job_id: Any, now: Any
) -> Select[Any]:
    """One ledger entry caused by the job ``job_id``, in the order of ``_ENTRY_COLUMNS``."""
    return select(
        payer,
        literal(str(kind), String),
        amount,
        delta,
        balance_after,
        literal("job", String),
        job_id,
        literal("", String),
        now,
    )
