"""PostgreSQL: a submitted job's row, its ``queued`` event and the reservation of its
price as ONE statement (data-modifying CTEs), sent in autocommit on asyncpg directly
(:mod:`pictor.db.direct`).

The submit path of ``POST /v1/jobs`` wrote them as a transaction of six round trips
(``BEGIN``, the job, its event, the balance's debit, its ledger entry, ``COMMIT``); one
statement is one round trip and atomic on its own. Everything hangs on the debit:

- ``debit`` and its ``entry`` are ``ledger.reserve`` as CTEs
  (:func:`~pictor.jobs.transitions_pg.reservation`): ``available -= cost, reserved +=
  cost`` only where ``available >= cost``;
- ``job`` and ``entry`` select from ``debit``, ``event`` from ``job``: when the balance
  does not cover the price nothing is written (the caller raises
  ``InsufficientCredits``);
- a job priced at nothing has no debit and no entry, as ``ledger.reserve(0)``.

A second request with the same Idempotency-Key violates the jobs' unique key: the
statement fails as a whole (the debit with it) and the caller replays the winner.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import CTE, Integer, Select, String, bindparam, insert, literal, select

from pictor.credits.ledger import shortfall
from pictor.db.direct import DirectStatement
from pictor.db.engine import Database
from pictor.jobs.events import Event
from pictor.jobs.records import JobRecord
from pictor.jobs.transitions import EVENTS, JOBS
from pictor.jobs.transitions_pg import event_insert, reservation

_STATEMENTS: dict[tuple[tuple[str, ...], bool], DirectStatement] = {}
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


def _statement(columns: tuple[str, ...], priced: bool) -> DirectStatement:
    """The statement for a job row of these columns (built and compiled once per
    shape)."""
    found = _STATEMENTS.get((columns, priced))
    if found is not None:
        return found
    values = [_param(column) for column in columns]
    reserved: list[CTE] = []
    if priced:
        cost = bindparam("cost", type_=Integer())
        debit, entry = reservation(_param("owner_id"), cost, _param("id"), _param("created_at"))
        job = insert(JOBS).from_select(list(columns), select(*values).select_from(debit))
        reserved.append(entry)
    else:
        job = insert(JOBS).values(dict(zip(columns, values, strict=True)))
    inserted = job.returning(JOBS.c.id).cte("job")
    event = event_insert(
        inserted.c.id,
        literal(1, Integer),
        literal("queued", String),
        bindparam("data", type_=EVENTS.c.data.type),
        _param("created_at"),
    )
    statement: Select[Any] = select(inserted.c.id).add_cte(event, *reserved)
    direct = _STATEMENTS[(columns, priced)] = DirectStatement(statement)
    return direct


async def insert_and_reserve(db: Database, job: JobRecord, data: dict[str, Any]) -> Event | None:
    """Insert the job with its ``queued`` event (``data``) and reserve its price, in one
    statement sent on asyncpg directly (``Database.fetch_direct``); None when another
    request with the same Idempotency-Key won the race. Raises ``InsufficientCredits``
    when the balance does not cover the price."""
    row = {
        column: value
        for column, value in job.as_values().items()
        if value is not None or column not in _NULL_WHEN_LEFT_OUT
    }
    columns = tuple(row)
    params = {f"j_{column}": value for column, value in row.items()}
    params |= {"data": data, "cost": job.cost}
    try:
        inserted = await db.fetch_direct(_statement(columns, job.cost > 0), params)
    except asyncpg.IntegrityConstraintViolationError:
        if job.idempotency_key is None:
            raise
        return None
    if not inserted:
        raise await db.read(lambda conn: shortfall(conn, job.owner_id, job.cost))
    return Event(job_id=job.id, seq=1, type="queued", data=data, created_at=job.created_at)
