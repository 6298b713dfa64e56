"""Invariants of the ledger, for tests and fault-injection runs.

:func:`check` returns what is wrong (empty when all holds):

- each user's balance row equals the sum of their entries (available and reserved);
- no cause holds a negative reservation (more charged or released than reserved);
- a finished job holds nothing; a job still queued or running holds its price or
  (a job from before credits existed) nothing.

Together these say ``reserved`` is exactly what unfinished work holds. Each check is
one statement, so each sees one snapshot even while jobs run.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table, and_, func, literal, or_, select

from pictor.credits.ledger import BALANCES, ENTRIES
from pictor.jobs.models import FINAL_STATUSES, Job

JOBS = cast(Table, Job.__table__)
_b = BALANCES.c
_e = ENTRIES.c
_j = JOBS.c


def _balance_problems(conn: Connection) -> list[str]:
    sums = (
        select(
            _e.user_id.label("user_id"),
            func.sum(_e.amount).label("available"),
            func.sum(_e.reserved_delta).label("reserved"),
        )
        .group_by(_e.user_id)
        .subquery()
    )
    joined = BALANCES.outerjoin(sums, sums.c.user_id == _b.user_id)
    entry_available = func.coalesce(sums.c.available, 0)
    entry_reserved = func.coalesce(sums.c.reserved, 0)
    rows = conn.execute(
        select(_b.user_id, _b.available, _b.reserved, entry_available, entry_reserved)
        .select_from(joined)
        .where(or_(_b.available != entry_available, _b.reserved != entry_reserved))
    ).all()
    problems = [
        f"user {user}: balance row {avail}/{res} (available/reserved) but entries sum to "
        f"{int(e_avail)}/{int(e_res)}"
        for user, avail, res, e_avail, e_res in rows
    ]
    orphans = conn.execute(
        select(sums.c.user_id)
        .select_from(sums.outerjoin(BALANCES, _b.user_id == sums.c.user_id))
        .where(_b.user_id.is_(None))
    ).all()
    problems += [f"user {row[0]}: ledger entries but no balance row" for row in orphans]
    return problems


def _reservation_problems(conn: Connection) -> list[str]:
    held = (
        select(
            _e.cause_type.label("cause_type"),
            _e.cause_id.label("cause_id"),
            func.sum(_e.reserved_delta).label("held"),
        )
        .group_by(_e.cause_type, _e.cause_id)
        .subquery()
    )
    negative = conn.execute(
        select(held.c.cause_type, held.c.cause_id, held.c.held).where(held.c.held < 0)
    ).all()
    problems = [
        f"{kind} {cause}: {int(amount)} reserved (more settled than reserved)"
        for kind, cause, amount in negative
    ]
    job_held = (
        select(held.c.cause_id, held.c.held).where(held.c.cause_type == literal("job")).subquery()
    )
    amount = func.coalesce(job_held.c.held, 0)
    finished = _j.status.in_([str(status) for status in FINAL_STATUSES])
    rows = conn.execute(
        select(_j.id, _j.status, _j.cost, amount)
        .select_from(JOBS.outerjoin(job_held, job_held.c.cause_id == _j.id))
        .where(
            or_(
                and_(finished, amount != 0),
                and_(~finished, amount != 0, amount != _j.cost),
            )
        )
    ).all()
    problems += [
        f"job {job_id} ({status}, cost {cost}) holds {int(held_now)} credit(s)"
        for job_id, status, cost, held_now in rows
    ]
    missing = conn.execute(
        select(job_held.c.cause_id)
        .select_from(job_held.outerjoin(JOBS, _j.id == job_held.c.cause_id))
        .where(_j.id.is_(None), job_held.c.held != 0)
    ).all()
    problems += [f"job {row[0]}: credits held for a job that does not exist" for row in missing]
    return problems


def check(conn: Connection) -> list[str]:
    """Every broken invariant, as a sentence; empty when the ledger is sound."""
    return _balance_problems(conn) + _reservation_problems(conn)
