"""A job's state changes as plain Core statements over one ``Connection``.

Each function runs inside the caller's transaction (``Database.write``, or an ORM
session's connection). A state change bumps ``event_seq`` in the same ``UPDATE``
(``RETURNING`` the new number), and the event row is inserted with that number, so
events stay contiguous per job and are stored with the change they describe. The
:class:`Event` returned is published by the caller, after commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pictor.artifacts.models import Artifact
from pictor.db.base import UTCDateTime, utcnow
from pictor.jobs.events import Event, final_event_data
from pictor.jobs.models import Job, JobEvent, JobStatus
from pictor.jobs.records import JOB_COLUMNS, OUTPUT_COLUMNS, JobRecord, OutputRecord

JOBS = cast(Table, Job.__table__)
EVENTS = cast(Table, JobEvent.__table__)
ARTIFACTS = cast(Table, Artifact.__table__)
_c = JOBS.c


@dataclass(frozen=True, slots=True)
class Moved:
    """What a successful state change returns: the new event number and what a final
    event or a progress report needs to know."""

    seq: int
    kind: str
    created_at: datetime
    started_at: datetime | None
    run_seconds: float | None
    cancel_requested_at: datetime | None


def store_event(
    conn: Connection, job_id: str, seq: int, type_: str, data: dict[str, Any], now: datetime
) -> Event:
    conn.execute(
        insert(EVENTS),
        {"job_id": job_id, "seq": seq, "type": type_, "data": data, "created_at": now},
    )
    return Event(job_id=job_id, seq=seq, type=type_, data=data, created_at=now)


def insert_job(conn: Connection, job: JobRecord) -> Event | None:
    """The new row with its ``queued`` event (seq 1). None when another request with
    the same Idempotency-Key won the race (the caller replays the winner)."""
    if job.event_seq != 1:
        raise ValueError("a new job starts at event_seq 1")
    if job.idempotency_key is None:
        conn.execute(insert(JOBS), job.as_values())
    else:
        try:
            # Only a keyed insert can collide; the savepoint keeps the transaction usable.
            with conn.begin_nested():
                conn.execute(insert(JOBS), job.as_values())
        except IntegrityError:
            return None
    data = {"status": "queued", "kind": job.kind}
    return store_event(conn, job.id, 1, "queued", data, job.created_at)


def owned_upload_ids(conn: Connection, owner_id: str, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = conn.execute(
        select(ARTIFACTS.c.id).where(
            ARTIFACTS.c.id.in_(list(ids)),
            ARTIFACTS.c.owner_id == owner_id,
            ARTIFACTS.c.deleted_at.is_(None),
        )
    )
    return {row[0] for row in rows}


def claim(
    conn: Connection, job_id: str, leases: Mapping[str, float], default_lease_s: float
) -> tuple[JobRecord, Event] | None:
    """queued → running for one worker, in one conditional ``UPDATE … RETURNING``.

    None if the job is not queued (another worker has it, it ended, it was canceled) or
    not yet due. The lease depends on the kind, chosen in SQL so no read comes first.
    """
    now = utcnow()

    def at(seconds: float) -> Any:
        return literal(now + timedelta(seconds=seconds), UTCDateTime())

    lease = case({k: at(s) for k, s in leases.items()}, value=_c.kind, else_=at(default_lease_s))
    row = conn.execute(
        update(JOBS)
        .where(
            _c.id == job_id,
            _c.status == JobStatus.QUEUED,
            or_(_c.run_after.is_(None), _c.run_after <= now),
        )
        .values(
            status=JobStatus.RUNNING,
            attempts=_c.attempts + 1,
            started_at=func.coalesce(_c.started_at, now),
            lease_expires_at=lease,
            stage="running",
            event_seq=_c.event_seq + 1,
        )
        .returning(*JOB_COLUMNS)
    ).first()
    if row is None:
        return None
    job = JobRecord.from_row(row._mapping)
    data = {"status": "running", "attempt": job.attempts}
    return job, store_event(conn, job.id, job.event_seq, "running", data, now)


def advance(
    conn: Connection, job_id: str, *, from_status: str, attempt: int | None, **values: Any
) -> Moved | None:
    """Move a job on only if it is still where the caller believes it is (and still
    on the caller's attempt), taking the next event number in the same statement."""
    where = [_c.id == job_id, _c.status == from_status]
    if attempt is not None:
        where.append(_c.attempts == attempt)
    row = conn.execute(
        update(JOBS)
        .where(and_(*where))
        .values(event_seq=_c.event_seq + 1, **values)
        .returning(
            _c.event_seq,
            _c.kind,
            _c.created_at,
            _c.started_at,
            _c.run_seconds,
            _c.cancel_requested_at,
        )
    ).first()
    return None if row is None else Moved(*row)


def store_final_event(
    conn: Connection, job_id: str, moved: Moved, type_: str, data: dict[str, Any]
) -> Event:
    full = final_event_data(data, moved.kind, moved.created_at, moved.started_at, moved.run_seconds)
    return store_event(conn, job_id, moved.seq, type_, full, utcnow())


def insert_outputs(conn: Connection, artifacts: Sequence[Artifact]) -> None:
    """Output rows built in memory while the job ran (see ``JobContext.save_output``)."""
    if not artifacts:
        return
    now = utcnow()
    rows = []
    for artifact in artifacts:
        values = {col.key: getattr(artifact, col.key) for col in ARTIFACTS.columns}
        values["created_at"] = values["created_at"] or now
        values["meta"] = values["meta"] or {}
        values["filename"] = values["filename"] or ""
        rows.append(values)
    conn.execute(insert(ARTIFACTS), rows)


def job_with_outputs(
    conn: Connection, job_id: str, owner_id: str | None
) -> tuple[JobRecord, list[OutputRecord]] | None:
    """One job (of ``owner_id``, or anyone's when None) and its outputs."""
    query = select(*JOB_COLUMNS).where(_c.id == job_id)
    if owner_id is not None:
        query = query.where(_c.owner_id == owner_id)
    row = conn.execute(query).first()
    if row is None:
        return None
    return JobRecord.from_row(row._mapping), outputs_of(conn, job_id)


def outputs_of(conn: Connection, job_id: str) -> list[OutputRecord]:
    rows = conn.execute(
        select(*OUTPUT_COLUMNS)
        .where(ARTIFACTS.c.job_id == job_id, ARTIFACTS.c.role == "output")
        .order_by(ARTIFACTS.c.id)
    )
    return [OutputRecord.from_row(row._mapping) for row in rows]


def by_idempotency_key(conn: Connection, owner_id: str, key: str) -> JobRecord | None:
    row = conn.execute(
        select(*JOB_COLUMNS).where(_c.owner_id == owner_id, _c.idempotency_key == key)
    ).first()
    return None if row is None else JobRecord.from_row(row._mapping)
