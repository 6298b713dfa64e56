"""A job's state changes as plain Core statements over one ``Connection``.

Each function runs inside the caller's transaction (``Database.write``, or an ORM
session's connection). A state change bumps ``event_seq`` in the same ``UPDATE``
(``RETURNING`` the new number), and the event row is inserted with that number, so
events stay contiguous per job and are stored with the change they describe. The
:class:`Event` returned is published by the caller, after commit. On PostgreSQL a claim
and its event are one statement (a change with its event too: :mod:`pictor.jobs.changes`),
which the runner sends in autocommit.

Statements are built once, with bound parameters: building a statement costs more
than SQLite takes to run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pictor.artifacts.models import Artifact
from pictor.db.base import UTCDateTime, utcnow
from pictor.db.direct import DirectStatement
from pictor.db.engine import Database
from pictor.jobs import transitions_pg
from pictor.jobs.events import Event
from pictor.jobs.models import Job, JobEvent, JobStatus
from pictor.jobs.records import JOB_COLUMNS, OUTPUT_COLUMNS, JobRecord, OutputRecord

JOBS = cast(Table, Job.__table__)
EVENTS = cast(Table, JobEvent.__table__)
ARTIFACTS = cast(Table, Artifact.__table__)
_c = JOBS.c
_a = ARTIFACTS.c
_N_JOB = len(JOB_COLUMNS)

_INSERT_JOB = insert(JOBS)
_INSERT_EVENT = insert(EVENTS)
_INSERT_ARTIFACT = insert(ARTIFACTS)
_OWNED_UPLOADS = select(_a.id).where(
    _a.id.in_(bindparam("ids", expanding=True)),
    _a.owner_id == bindparam("owner_id"),
    _a.deleted_at.is_(None),
)
_BY_KEY = select(*JOB_COLUMNS).where(
    _c.owner_id == bindparam("owner_id"), _c.idempotency_key == bindparam("key")
)
_OUTPUTS = (
    select(*OUTPUT_COLUMNS)
    .where(_a.job_id == bindparam("job_id"), _a.role == "output")
    .order_by(_a.id)
)


def _job_with_outputs_query(owned: bool) -> Select[Any]:
    # One statement (one snapshot): the job's columns, then an output's, one row per
    # output (or one row of NULL output columns).
    joined = JOBS.outerjoin(ARTIFACTS, and_(_a.job_id == _c.id, _a.role == "output"))
    query = select(*JOB_COLUMNS, *OUTPUT_COLUMNS).select_from(joined)
    query = query.where(_c.id == bindparam("job_id"))
    if owned:
        query = query.where(_c.owner_id == bindparam("owner_id"))
    return query.order_by(_a.id)


_JOB_WITH_OUTPUTS = {owned: _job_with_outputs_query(owned) for owned in (False, True)}


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
    values = {"job_id": job_id, "seq": seq, "type": type_, "data": data, "created_at": now}
    conn.execute(_INSERT_EVENT, values)
    return Event(job_id=job_id, seq=seq, type=type_, data=data, created_at=now)


def insert_job(conn: Connection, job: JobRecord, *, studio: bool = False) -> Event | None:
    """The new row with its ``queued`` event (seq 1). None when another request with
    the same Idempotency-Key won the race (the caller replays the winner). The event
    says whether the job has a webhook URL and whether it serves a studio message, so
    the followers of every node look up nothing for the jobs that need nothing
    (:class:`~pictor.jobs.events.UnflaggedJobs`)."""
    if job.event_seq != 1:
        raise ValueError("a new job starts at event_seq 1")
    if job.idempotency_key is None:
        conn.execute(_INSERT_JOB, job.as_values())
    else:
        try:
            # Only a keyed insert can collide; the savepoint keeps the transaction usable.
            with conn.begin_nested():
                conn.execute(_INSERT_JOB, job.as_values())
        except IntegrityError:
            return None
    return store_event(conn, job.id, 1, "queued", queued_data(job, studio), job.created_at)


def queued_data(job: JobRecord, studio: bool) -> dict[str, Any]:
    """A new job's ``queued`` event (see :func:`insert_job`)."""
    return {
        "status": "queued",
        "kind": job.kind,
        "webhook": job.webhook_url is not None,
        "studio": studio,
    }


def owned_upload_ids(conn: Connection, owner_id: str, ids: Sequence[str]) -> set[str]:
    if not ids:
        return set()
    rows = conn.execute(_OWNED_UPLOADS, {"ids": list(ids), "owner_id": owner_id})
    return {row[0] for row in rows}


class Claimer:
    """queued → running for one worker, in one conditional ``UPDATE … RETURNING``, its
    ``running`` event in the same statement on PostgreSQL.

    The lease depends on the kind, chosen in SQL (a ``CASE`` over the catalog's kinds)
    so that no read has to come first.
    """

    def __init__(self, leases: Mapping[str, float], default_lease_s: float) -> None:
        self._leases = dict(leases)
        self._default_lease_s = default_lease_s
        now = bindparam("now", type_=UTCDateTime())
        default = bindparam("lease_default", type_=UTCDateTime())
        whens = {
            kind: bindparam(f"lease_{i}", type_=UTCDateTime()) for i, kind in enumerate(leases)
        }
        lease = case(whens, value=_c.kind, else_=default) if whens else default
        self._statement = (
            update(JOBS)
            .where(
                _c.id == bindparam("job_id"),
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
        )
        self._with_event = transitions_pg.claim_statement(self._statement)

    @cached_property
    def _direct(self) -> DirectStatement:
        """The one statement compiled for asyncpg, on the first claim that sends it."""
        return DirectStatement(self._with_event)

    def _params(self, job_id: str, now: datetime) -> dict[str, Any]:
        params: dict[str, Any] = {
            "job_id": job_id,
            "now": now,
            "lease_default": now + timedelta(seconds=self._default_lease_s),
        }
        for i, seconds in enumerate(self._leases.values()):
            params[f"lease_{i}"] = now + timedelta(seconds=seconds)
        return params

    def __call__(self, conn: Connection, job_id: str) -> tuple[JobRecord, Event] | None:
        """The claim inside the caller's transaction. None if the job is not queued
        (another worker has it, it ended, it was canceled) or not yet due."""
        now = utcnow()
        one_statement = conn.dialect.name == "postgresql"
        statement = self._with_event if one_statement else self._statement
        row = conn.execute(statement, self._params(job_id, now)).first()
        if row is None:
            return None
        job = JobRecord(*row)
        running = _running(job, now)
        if not one_statement:  # PostgreSQL's statement wrote it: same data, same time
            store_event(conn, job.id, job.event_seq, "running", running.data, now)
        return job, running

    async def claim(self, db: Database, job_id: str) -> tuple[JobRecord, Event] | None:
        """The claim as a write of its own: on PostgreSQL its one statement in
        autocommit, on asyncpg directly (``Database.fetch_direct``)."""
        if db.is_sqlite:
            return await db.write(lambda conn: self(conn, job_id))
        now = utcnow()
        rows = await db.fetch_direct(self._direct, self._params(job_id, now))
        if not rows:
            return None
        job = JobRecord(*rows[0])
        return job, _running(job, now)


def _running(job: JobRecord, now: datetime) -> Event:
    data = {"status": "running", "attempt": job.attempts}
    return Event(job.id, job.event_seq, "running", data, now)


_ADVANCE: dict[tuple[tuple[str, ...], bool, bool], Update] = {}


def fenced_update(keys: tuple[str, ...], fenced: bool, uncanceled: bool = False) -> Update:
    """The ``UPDATE`` of :func:`advance` (no ``RETURNING``): ``keys`` set from bound
    ``v_<key>``, only where the job is ``from_status`` (on ``attempt`` when ``fenced``;
    with no cancel asked when ``uncanceled``), taking the next event number."""
    where = [_c.id == bindparam("job_id"), _c.status == bindparam("from_status")]
    if fenced:
        where.append(_c.attempts == bindparam("attempt"))
    if uncanceled:
        where.append(_c.cancel_requested_at.is_(None))
    values = {key: bindparam(f"v_{key}", type_=_c[key].type) for key in keys}
    return update(JOBS).where(*where).values(event_seq=_c.event_seq + 1, **values)


def fenced_params(
    job_id: str, from_status: str, attempt: int | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The parameters of :func:`fenced_update` for ``values`` (its ``keys``, sorted)."""
    params = {f"v_{key}": value for key, value in values.items()}
    params.update(job_id=job_id, from_status=from_status, attempt=attempt)
    return params


def _advance_statement(keys: tuple[str, ...], fenced: bool, uncanceled: bool) -> Update:
    statement = _ADVANCE.get((keys, fenced, uncanceled))
    if statement is None:
        statement = fenced_update(keys, fenced, uncanceled).returning(
            _c.event_seq,
            _c.kind,
            _c.created_at,
            _c.started_at,
            _c.run_seconds,
            _c.cancel_requested_at,
        )
        # A handful of call sites, so a handful of entries; a race only builds one twice.
        _ADVANCE[(keys, fenced, uncanceled)] = statement
    return statement


def advance(
    conn: Connection,
    job_id: str,
    *,
    from_status: str,
    attempt: int | None,
    uncanceled: bool = False,
    **values: Any,
) -> Moved | None:
    """Move a job on only if it is still where the caller believes it is (and still
    on the caller's attempt; with no cancel asked, with ``uncanceled``), taking the next
    event number in the same statement."""
    statement = _advance_statement(tuple(sorted(values)), attempt is not None, uncanceled)
    row = conn.execute(statement, fenced_params(job_id, from_status, attempt, values)).first()
    return None if row is None else Moved(*row)


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
    conn.execute(_INSERT_ARTIFACT, rows)


def job_with_outputs(
    conn: Connection, job_id: str, owner_id: str | None
) -> tuple[JobRecord, list[OutputRecord]] | None:
    """One job (of ``owner_id``, or anyone's when None) and its outputs."""
    query = _JOB_WITH_OUTPUTS[owner_id is not None]
    rows = conn.execute(query, {"job_id": job_id, "owner_id": owner_id}).all()
    if not rows:
        return None
    outputs = [OutputRecord(*row[_N_JOB:]) for row in rows if row[_N_JOB] is not None]
    return JobRecord(*rows[0][:_N_JOB]), outputs


def outputs_of(conn: Connection, job_id: str) -> list[OutputRecord]:
    return [OutputRecord(*row) for row in conn.execute(_OUTPUTS, {"job_id": job_id})]


def by_idempotency_key(conn: Connection, owner_id: str, key: str) -> JobRecord | None:
    row = conn.execute(_BY_KEY, {"owner_id": owner_id, "key": key}).first()
    return None if row is None else JobRecord(*row)
