"""A running job's change with its event — a progress report, a retry, the end of an
attempt with the ledger's settlement — as one statement on PostgreSQL, sent in
autocommit: one round trip (see :mod:`pictor.jobs.transitions_pg`). On SQLite the same
change is a few statements in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, bindparam, select

from pictor.credits import ledger
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.jobs import transitions, transitions_pg
from pictor.jobs.events import Event, EventBus
from pictor.jobs.models import JobStatus

T = TypeVar("T")
_c = transitions.JOBS.c
_ONE_STATEMENT: dict[tuple[tuple[str, ...], bool, bool, bool], Select[Any]] = {}
_STATE = select(_c.status, _c.attempts, _c.cancel_requested_at).where(_c.id == bindparam("job_id"))


@dataclass(frozen=True, slots=True)
class Settle:
    """The end of a job's reservation, with its final change: ``charged`` of what the
    job still holds is spent, the rest goes back to ``owner_id``'s available credits."""

    owner_id: str
    charged: int


def _one_statement(
    keys: tuple[str, ...], fenced: bool, uncanceled: bool, settle: bool
) -> Select[Any]:
    statement = _ONE_STATEMENT.get((keys, fenced, uncanceled, settle))
    if statement is None:
        change = transitions.fenced_update(keys, fenced, uncanceled)
        statement = transitions_pg.change_statement(change.returning(_c.id, _c.event_seq), settle)
        # A handful of call sites, so a handful of entries; a race only builds one twice.
        _ONE_STATEMENT[(keys, fenced, uncanceled, settle)] = statement
    return statement


def change_with_event(
    conn: Connection,
    job_id: str,
    *,
    from_status: str,
    attempt: int | None,
    event: tuple[str, dict[str, Any]],
    settle: Settle | None = None,
    uncanceled: bool = False,
    **values: Any,
) -> Event | None:
    """``transitions.advance`` with its event (type, data) and, with ``settle``, the
    ledger's end of the job's reservation. None (nothing written) when the job was not
    where the caller believes, or (``uncanceled``) a cancel was asked of it."""
    type_, data = event
    now = utcnow()
    if conn.dialect.name != "postgresql":
        moved = transitions.advance(
            conn,
            job_id,
            from_status=from_status,
            attempt=attempt,
            uncanceled=uncanceled,
            **values,
        )
        if moved is None:
            return None
        if settle is not None:
            ledger.settle_outstanding(
                conn, settle.owner_id, settle.charged, cause_type="job", cause_id=job_id
            )
        return transitions.store_event(conn, job_id, moved.seq, type_, data, now)
    params = transitions.fenced_params(job_id, from_status, attempt, values)
    params.update(type=type_, data=data, now=now)
    if settle is not None:
        # Not "owner_id": a parameter named after a column would join the UPDATE's SET.
        params.update(payer_id=settle.owner_id, spent=settle.charged)
    keys = tuple(sorted(values))
    statement = _one_statement(keys, attempt is not None, uncanceled, settle is not None)
    seq = conn.execute(statement, params).scalar()
    return None if seq is None else Event(job_id, seq, type_, data, now)


def cancel_requested(conn: Connection, job_id: str, attempt: int) -> bool:
    """After an ``uncanceled`` change wrote nothing: whether a cancel was asked of the
    attempt still running (else that attempt no longer owns the job)."""
    row = conn.execute(_STATE, {"job_id": job_id}).first()
    if row is None:
        return False
    status, attempts, canceled_at = row
    return status == JobStatus.RUNNING and attempts == attempt and canceled_at is not None


async def change_and_publish(
    db: Database, bus: EventBus, unit: Callable[[Connection, list[Event]], T]
) -> T:
    """Like ``events.commit_and_publish``, for a ``unit`` that writes with one statement
    on PostgreSQL (a claim, :func:`change_with_event`; reads besides are fine): it runs
    in autocommit there (``Database.write_statement``), in one transaction on SQLite."""
    outbox: list[Event] = []
    result = await db.write_statement(lambda conn: unit(conn, outbox))
    for event in outbox:
        await bus.publish(event)
    return result
