"""PostgreSQL: a submitted job's row, its ``queued`` event and the reservation of its
price as ONE statement (data-modifying CTEs), sent in autocommit.

The submit path of ``POST /v1/jobs`` wrote them as a transaction of six round trips
(``BEGIN``, the job, its event, the balance's debit, its ledger entry, ``COMMIT``); one
statement is one round trip and atomic on its own. Everything hangs on the debit:

- ``debit``: ``available -= cost, reserved += cost`` only where ``available >= cost``
  (the same conditional ``UPDATE`` as ``ledger.reserve``; a concurrent writer waits for
  the row lock and re-checks the condition);
- ``job`` and ``entry`` select from ``debit``, ``event`` from ``job``: when the balance
  does not cover the price nothing is written (the caller raises
  ``InsufficientCredits``);
- a job priced at nothing has no debit and no entry, as ``ledger.reserve(0)``.

A second request with the same Idempotency-Key violates the jobs' unique key: the
statement fails as a whole (the debit with it) and the caller replays the winner.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pictor.credits.ledger import BALANCES, ENTRIES, InsufficientCredits, balance
from pictor.credits.models import EntryType
from pictor.db.base import UTCDateTime
from pictor.jobs.events import Event
from pictor.jobs.models import Job, JobEvent
from pictor.jobs.records import JobRecord

JOBS = cast(Table, Job.__table__)
EVENTS = cast(Table, JobEvent.__table__)
_b = BALANCES.c
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
_STATEMENTS: dict[tuple[tuple[str, ...], bool], Select[Any]] = {}
#: Plain nullable columns a new job mostly leaves empty: left out of the statement when
#: None (NULL is what they get), which spares binding a dozen parameters. JSON columns
#: are always bound (a bound None is JSON ``null``, not SQL NULL).
_NULL_WHEN_LEFT_OUT = frozenset(
    {
        "webhook_url",
        "idempotency_key",
        "request_hash",
        "error_code",
        "error_message",
        "engine",
        "started_at",
        "finished_at",
        "run_after",
        "lease_expires_at",
        "cancel_requested_at",
        "run_seconds",
        "batch_id",
        "resent_at",
    }
)


def _param(column: str) -> Any:
    return bindparam(f"j_{column}", type_=JOBS.c[column].type)


def _statement(columns: tuple[str, ...], priced: bool) -> Select[Any]:
    """The statement for a job row of these columns (built once per shape)."""
    found = _STATEMENTS.get((columns, priced))
    if found is not None:
        return found
    values = [_param(column) for column in columns]
    if priced:
        cost = bindparam("cost", type_=Integer())
        debit = (
            update(BALANCES)
            .where(_b.user_id == _param("owner_id"), _b.available >= cost)
            .values(available=_b.available - cost, reserved=_b.reserved + cost)
            .values(updated_at=_param("created_at"))
            .returning(_b.available.label("after"))
            .cte("debit")
        )
        job = insert(JOBS).from_select(list(columns), select(*values).select_from(debit))
    else:
        job = insert(JOBS).values(dict(zip(columns, values, strict=True)))
    inserted = job.returning(JOBS.c.id).cte("job")
    event = insert(EVENTS).from_select(
        _EVENT_COLUMNS,
        select(
            inserted.c.id,
            literal(1, Integer),
            literal("queued", String),
            bindparam("data", type_=EVENTS.c.data.type),
            bindparam("j_created_at", type_=UTCDateTime()),
        ),
    )
    statement = select(inserted.c.id).add_cte(event.cte("event"))
    if priced:
        entry = insert(ENTRIES).from_select(
            _ENTRY_COLUMNS,
            select(
                _param("owner_id"),
                literal(str(EntryType.RESERVE), String),
                -cost,
                cost,
                debit.c.after,
                literal("job", String),
                _param("id"),
                literal("", String),
                _param("created_at"),
            ).select_from(debit),
        )
        statement = statement.add_cte(entry.cte("entry"))
    _STATEMENTS[(columns, priced)] = statement
    return statement


def insert_and_reserve(conn: Connection, job: JobRecord, data: dict[str, Any]) -> Event | None:
    """Insert the job with its ``queued`` event (``data``) and reserve its price, in one
    statement; None when another request with the same Idempotency-Key won the race.
    Raises ``InsufficientCredits`` when the balance does not cover the price."""
    row = {
        column: value
        for column, value in job.as_values().items()
        if value is not None or column not in _NULL_WHEN_LEFT_OUT
    }
    columns = tuple(row)
    params = {f"j_{column}": value for column, value in row.items()}
    params |= {"data": data, "cost": job.cost}
    try:
        inserted = conn.execute(_statement(columns, job.cost > 0), params).first()
    except IntegrityError:
        if job.idempotency_key is None:
            raise
        return None
    if inserted is None:
        have = balance(conn, job.owner_id).available
        raise InsufficientCredits(
            f"this needs {job.cost} credit(s); {have} available",
            details={"required": job.cost, "available": have},
        )
    return Event(job_id=job.id, seq=1, type="queued", data=data, created_at=job.created_at)
