"""A running job's change with its event — a progress report, a retry, the end of an
attempt with the ledger's settlement — as one statement on PostgreSQL, sent in
autocommit: one round trip (see :mod:`pictor.jobs.transitions_pg`). On SQLite the same
change is a few statements in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select

from pictor.credits import ledger
from pictor.db.base import utcnow
from pictor.db.direct import DirectStatement
from pictor.db.engine import Database
from pictor.jobs import transitions, transitions_pg
from pictor.jobs.events import Event
from pictor.jobs.models import JobStatus

_c = transitions.JOBS.c
_ONE_STATEMENT: dict[
    tuple[tuple[str, ...], bool, bool, bool], tuple[Select[Any], DirectStatement]
] = {}
_STATE = select(_c.status, _c.attempts, _c.cancel_requested_at).where(_c.id == bindparam("job_id"))


@dataclass(frozen=True, slots=True)
class Settle:
    """The end of a job's reservation, with its final change: ``charged`` of what the
    job still holds is spent, the rest goes back to ``owner_id``'s available credits."""

    owner_id: str
    charged: int


def _one_statement(
    keys: tuple[str, ...], fenced: bool, uncanceled: bool, settle: bool
) -> tuple[Select[Any], DirectStatement]:
    shape = (keys, fenced, uncanceled, settle)
    found = _ONE_STATEMENT.get(shape)
    if found is None:
        change = transitions.fenced_update(keys, fenced, uncanceled)
        statement = transitions_pg.change_statement(change.returning(_c.id, _c.event_seq), settle)
        # A handful of call sites, so a handful of entries; a race only builds one twice.
        found = _ONE_STATEMENT[shape] = (statement, DirectStatement(statement))
    return found


def _statement_and_params(
    job_id: str,
    from_status: str,
    attempt: int | None,
    event: tuple[str, dict[str, Any]],
    settle: Settle | None,
    uncanceled: bool,
    values: dict[str, Any],
    now: datetime,
) -> tuple[tuple[Select[Any], DirectStatement], dict[str, Any]]:
    """PostgreSQL's one statement for a change, and its parameters."""
    type_, data = event
    params = transitions.fenced_params(job_id, from_status, attempt, values)
    params.update(type=type_, data=data, now=now)
    if settle is not None:
        # Not "owner_id": a parameter named after a column would join the UPDATE's SET.
        params.update(payer_id=settle.owner_id, spent=settle.charged)
    keys = tuple(sorted(values))
    statement = _one_statement(keys, attempt is not None, uncanceled, settle is not None)
    return statement, params


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
    ledger's end of the job's reservation, inside the caller's transaction (an end
    with outputs: their rows go in the same one). None (nothing written) when the job
    was not where the caller believes, or (``uncanceled``) a cancel was asked of it."""
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
    (statement, _), params = _statement_and_params(
        job_id, from_status, attempt, event, settle, uncanceled, values, now
    )
    seq = conn.execute(statement, params).scalar()
    return None if seq is None else Event(job_id, seq, type_, data, now)


async def change(
    db: Database,
    job_id: str,
    *,
    from_status: str,
    attempt: int | None,
    event: tuple[str, dict[str, Any]],
    settle: Settle | None = None,
    uncanceled: bool = False,
    **values: Any,
) -> Event | None:
    """:func:`change_with_event` as a write of its own: on PostgreSQL its one statement
    in autocommit, on asyncpg directly (``Database.fetch_direct``); on SQLite one
    transaction. The event returned is the caller's to publish."""
    if db.is_sqlite:
        return await db.write(
            lambda conn: change_with_event(
                conn,
                job_id,
                from_status=from_status,
                attempt=attempt,
                event=event,
                settle=settle,
                uncanceled=uncanceled,
                **values,
            )
        )
    now = utcnow()
    (_, direct), params = _statement_and_params(
        job_id, from_status, attempt, event, settle, uncanceled, values, now
    )
    rows = await db.fetch_direct(direct, params)
    if not rows:
        return None
    type_, data = event
    return Event(job_id, rows[0][0], type_, data, now)


def cancel_requested(conn: Connection, job_id: str, attempt: int) -> bool:
    """After an ``uncanceled`` change wrote nothing: whether a cancel was asked of the
    attempt still running (else that attempt no longer owns the job)."""
    row = conn.execute(_STATE, {"job_id": job_id}).first()
    if row is None:
        return False
    status, attempts, canceled_at = row
    return status == JobStatus.RUNNING and attempts == attempt and canceled_at is not None
