"""PostgreSQL's one-statement state changes: the job's ``UPDATE`` (fenced as in
:mod:`pictor.jobs.transitions`), its event's ``INSERT`` and, at the end of a priced job,
the ledger's settlement, as data-modifying CTEs of one statement.

One statement is one round trip, and atomic on its own, so the runner sends it in
autocommit (``Database.write_statement``): a claim or a finish costs the worker one
round trip instead of four to seven (``BEGIN``, each statement, ``COMMIT``). Every part
hangs on the ``moved`` CTE: when the fenced ``UPDATE`` changes no row (another worker,
a later attempt, a cancel), the event and the ledger parts change nothing either.

SQLite has ``RETURNING`` but no data-modifying CTEs: it keeps the statement-by-statement
path, inside one transaction (see ``transitions.change_with_event``).
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


def claim_statement(claim: Update) -> Select[Any]:
    """``claim`` (queued → running, ``RETURNING`` every column) with its ``running``
    event; returns the claimed row, or no row."""
    claimed = claim.cte("claimed")
    data = func.jsonb_build_object(
        literal("status"), literal("running"), literal("attempt"), claimed.c.attempts
    )
    event = insert(EVENTS).from_select(
        _EVENT_COLUMNS,
        select(claimed.c.id, claimed.c.event_seq, literal("running", String), data, _now()),
    )
    return select(*claimed.c).add_cte(event.cte("event"))


def change_statement(change: Update, settle: bool) -> Select[Any]:
    """``change`` (a fenced ``UPDATE … RETURNING id, event_seq``) with its event (bound
    ``type`` and ``data``) and, with ``settle``, the ledger's end of the job's
    reservation; returns the new event number, or no row."""
    moved = change.cte("moved")
    event = insert(EVENTS).from_select(
        _EVENT_COLUMNS,
        select(
            moved.c.id,
            moved.c.event_seq,
            bindparam("type", type_=String()),
            bindparam("data", type_=JSONB()),
            _now(),
        ),
    )
    statement = select(moved.c.event_seq).add_cte(event.cte("event"))
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
    job_id = bindparam("job_id", type_=String())

    def entry(kind: EntryType, amount: Any, delta: Any, balance_after: Any) -> Select[Any]:
        return select(
            bindparam("payer_id", type_=String()),
            literal(str(kind), String),
            amount,
            delta,
            balance_after,
            literal("job", String),
            job_id,
            literal("", String),
            _now(),
        ).select_from(joined)

    charge = entry(EntryType.CHARGE, literal(0, Integer), -h.charged, after - released)
    release = entry(EntryType.RELEASE, released, -released, after)
    entries = insert(ENTRIES).from_select(
        _ENTRY_COLUMNS,
        union_all(charge.where(h.charged > 0), release.where(h.amount > h.charged)),
    )
    return [held, balance, entries.cte("entries")]
