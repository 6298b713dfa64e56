"""The rules of jobs: submit (with idempotency) and cancel.

``JobService`` works inside a caller's ORM session and never commits; :func:`submit_job`
is the same submission as one write transaction of its own (the POST /v1/jobs path).
Either way the job's price is reserved in the transaction that inserts it
(:func:`insert_submitted`), and a queued job canceled here gets it back at once
(:func:`cancel_queued`). A batch's items go through the same pieces, many jobs per
statement (:func:`first_unowned`, :func:`insert_jobs`, :func:`reserve_prices`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.credits import ledger
from pictor.credits.settings import CreditsSettings
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.engines.catalog import Engines
from pictor.errors import PictorError
from pictor.ids import new_id
from pictor.jobs import submit_pg, transitions
from pictor.jobs.errors import (
    IdempotencyKeyReused,
    JobFinished,
    JobNotFound,
    UploadNotFound,
    WrongInputCount,
)
from pictor.jobs.events import (
    Event,
    EventBus,
    commit_and_publish,
    final_event_data,
    queue_for_publishing,
    record_event,
)
from pictor.jobs.models import Job, JobStatus
from pictor.jobs.records import JobRecord
from pictor.jobs.repository import JobRepository
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry

#: Prices when a caller passes none (tests of the job machinery); the app passes its own.
_DEFAULT_CREDITS = CreditsSettings()
_c = transitions.JOBS.c
_INSERT_JOBS = insert(transitions.JOBS)
_INSERT_EVENTS = insert(transitions.EVENTS)
_CANCEL = (
    update(transitions.JOBS)
    .where(_c.status == JobStatus.QUEUED)
    .values(
        status=JobStatus.CANCELED,
        finished_at=bindparam("now"),
        cancel_requested_at=bindparam("now"),
        stage="canceled",
        error_code="job_canceled",
        error_message="canceled by request",
        event_seq=_c.event_seq + 1,
    )
    .returning(_c.id, _c.event_seq, _c.kind, _c.created_at, _c.started_at, _c.run_seconds)
)
_CANCEL_QUEUED = {
    "job": _CANCEL.where(_c.id == bindparam("which_id")),
    "batch": _CANCEL.where(_c.batch_id == bindparam("which_id")),
}


def request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    kind: str
    upload_ids: list[str]
    params: BaseModel
    webhook_url: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    #: Events sent to ``webhook_url`` besides the final one ("start", "progress").
    webhook_events: list[str] | None = None
    batch_id: str | None = None
    priority: int = 0
    #: A price set by the server (a batch's discounted share); None: the kind's price.
    cost: int | None = None
    #: Submitted by the studio for a message (which ends with the job).
    studio: bool = False


@dataclass(frozen=True)
class Submitted:
    job: JobRecord
    created: bool


def new_job(
    owner_id: str,
    sub: Submission,
    catalog: Registry[PipelineSpec],
    engines: Engines,
    *,
    max_attempts: int,
    prices: CreditsSettings | None = None,
) -> JobRecord:
    """The row a submission makes, checked against its kind (uploads are checked when
    it is inserted). Its ``cost`` is the submission's server-set price if it has one,
    else the kind's price (``prices``: PICTOR_CREDITS_*; the defaults when None)."""
    spec = catalog.get(sub.kind)
    count = len(sub.upload_ids)
    if not spec.min_inputs <= count <= spec.max_inputs:
        want = (
            f"{spec.min_inputs}"
            if spec.min_inputs == spec.max_inputs
            else f"{spec.min_inputs} to {spec.max_inputs}"
        )
        raise WrongInputCount(f"{sub.kind} takes {want} image(s), got {count}", field="input")
    if spec.check is not None:
        spec.check(sub.params, engines)
    if spec.check_inputs is not None:
        spec.check_inputs(sub.params, count)
    return JobRecord(
        id=new_id("job"),
        owner_id=owner_id,
        kind=sub.kind,
        status=JobStatus.QUEUED,
        inputs=[{"artifact_id": upload_id} for upload_id in sub.upload_ids],
        params=sub.params.model_dump(mode="json"),
        webhook_url=sub.webhook_url,
        idempotency_key=sub.idempotency_key,
        request_hash=sub.request_hash,
        cost=sub.cost
        if sub.cost is not None
        else ledger.price_for(prices or _DEFAULT_CREDITS, sub.kind, sub.params, spec=spec),
        progress=0,
        stage="queued",
        attempts=0,
        max_attempts=max_attempts if spec.retryable else 1,
        error_code=None,
        error_message=None,
        result={},
        engine=None,
        event_seq=1,
        created_at=utcnow(),
        started_at=None,
        finished_at=None,
        run_after=None,
        lease_expires_at=None,
        cancel_requested_at=None,
        run_seconds=None,
        batch_id=sub.batch_id,
        priority=sub.priority,
        webhook_events=sub.webhook_events,
    )


def insert_submitted(
    conn: Connection,
    job: JobRecord,
    outbox: list[Event],
    spec: PipelineSpec | None = None,
    *,
    studio: bool = False,
) -> bool:
    """Insert a new job after checking its uploads (and what its kind refers to) are
    its owner's, and reserve its price; False when another request with the same
    Idempotency-Key won the race (nothing reserved then). Raises
    :class:`~pictor.credits.ledger.InsufficientCredits` when the balance does not cover
    the price: the caller's transaction then rolls back, the job with it."""
    unowned = first_unowned(conn, [job], [spec])
    if unowned is not None:
        raise unowned[1]
    event = transitions.insert_job(conn, job, studio=studio)
    if event is None:
        return False
    reserve_prices(conn, job.owner_id, [job])
    outbox.append(event)
    return True


def first_unowned(
    conn: Connection,
    jobs: Sequence[JobRecord],
    specs: Sequence[PipelineSpec | None] | None = None,
) -> tuple[int, PictorError] | None:
    """The first of these new jobs (of one owner) that names an upload that is not its
    owner's or, given their specs, refers to something that is not (``check_owned``):
    its index and the error to raise; None when every one is fine. One statement reads
    every upload; uploads are checked for every job before what kinds refer to."""
    wanted = [item["artifact_id"] for job in jobs for item in job.inputs]
    owned = transitions.owned_upload_ids(conn, jobs[0].owner_id, list(dict.fromkeys(wanted)))
    for index, job in enumerate(jobs):
        for item in job.inputs:
            if item["artifact_id"] not in owned:
                return index, UploadNotFound(f"no upload {item['artifact_id']}", field="input")
    for index, (job, spec) in enumerate(zip(jobs, specs or (), strict=False)):
        if spec is None or spec.check_owned is None:
            continue
        try:
            spec.check_owned(spec.params_model.model_validate(job.params), job.owner_id, conn)
        except PictorError as exc:
            return index, exc
    return None


def insert_jobs(conn: Connection, jobs: Sequence[JobRecord]) -> list[Event]:
    """New jobs without an Idempotency-Key (a batch's items, checked by
    :func:`first_unowned`) with their ``queued`` events, to publish after commit: one
    statement for the jobs, one for the events."""
    conn.execute(_INSERT_JOBS, [job.as_values() for job in jobs])
    events = []
    for job in jobs:
        data = transitions.queued_data(job, studio=False)
        if job.batch_id is not None:
            data["batch_id"] = job.batch_id  # followers tell batch items by it
        events.append(Event(job.id, 1, "queued", data, job.created_at))
    _store_events(conn, events)
    return events


def reserve_prices(conn: Connection, owner_id: str, jobs: Sequence[JobRecord]) -> None:
    """Reserve each job's price as its own ledger cause (``job``), which the runner
    charges or releases when the job ends; two statements however many jobs."""
    ledger.reserve_many(conn, owner_id, {job.id: job.cost for job in jobs}, cause_type="job")


def cancel_queued(
    conn: Connection, owner_id: str, *, job_id: str | None = None, batch_id: str | None = None
) -> list[Event]:
    """queued → canceled for one job (``job_id``) or every queued item of a batch, each
    one's reservation given back: one statement for the jobs, one for their final
    events (returned, to publish after commit)."""
    which, id_ = ("job", job_id) if job_id is not None else ("batch", batch_id)
    now = utcnow()
    rows = conn.execute(_CANCEL_QUEUED[which], {"which_id": id_, "now": now}).all()
    events = []
    for canceled, seq, kind, created_at, started_at, run_seconds in rows:
        ledger.settle_outstanding(conn, owner_id, 0, cause_type="job", cause_id=canceled)
        data = final_event_data({"status": "canceled"}, kind, created_at, started_at, run_seconds)
        events.append(Event(canceled, seq, "canceled", data, now))
    _store_events(conn, events)
    return events


def _store_events(conn: Connection, events: list[Event]) -> None:
    if events:
        keys = ("job_id", "seq", "type", "data", "created_at")
        conn.execute(_INSERT_EVENTS, [{k: getattr(e, k) for k in keys} for e in events])


def check_replay(existing: JobRecord | None, sub: Submission) -> JobRecord | None:
    if existing is not None and existing.request_hash != sub.request_hash:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
    return existing


async def submit_job(
    db: Database,
    bus: EventBus,
    catalog: Registry[PipelineSpec],
    engines: Engines,
    owner_id: str,
    sub: Submission,
    *,
    max_attempts: int,
    prices: CreditsSettings | None = None,
) -> Submitted:
    """Submit in one write transaction (the caller has already replayed a keyed
    request whose job exists): on PostgreSQL one statement in autocommit
    (:mod:`pictor.jobs.submit_pg`), after a read of what the job refers to, if it refers
    to anything. Its ``queued`` event is published after commit."""
    job = new_job(owner_id, sub, catalog, engines, max_attempts=max_attempts, prices=prices)
    spec = catalog.get(sub.kind)
    if db.is_sqlite:

        def insert(conn: Connection, outbox: list[Event]) -> bool:
            return insert_submitted(conn, job, outbox, spec, studio=sub.studio)

        created = await commit_and_publish(db, bus, insert)
    else:
        if job.inputs or spec.check_owned is not None:
            unowned = await db.read(lambda conn: first_unowned(conn, [job], [spec]))
            if unowned is not None:
                raise unowned[1]
        data = transitions.queued_data(job, sub.studio)
        queued = await submit_pg.insert_and_reserve(db, job, data)
        if queued is not None:
            await bus.publish(queued)
        created = queued is not None
    if created:
        return Submitted(job, created=True)
    # Two requests with one Idempotency-Key raced; the other one won.
    key = sub.idempotency_key
    assert key is not None  # only a keyed insert can lose a race
    winner = await db.read(lambda conn: transitions.by_idempotency_key(conn, owner_id, key))
    if check_replay(winner, sub) is None:
        raise LookupError(f"no job with Idempotency-Key {key}")
    assert winner is not None
    return Submitted(winner, created=False)


async def release_job(session: AsyncSession, job_id: str, owner_id: str) -> None:
    """Give back all a job still holds, in the session's transaction (a job that
    ended without running: canceled while queued, failed by the reconciler)."""
    await session.run_sync(
        lambda s: ledger.settle_outstanding(
            s.connection(), owner_id, 0, cause_type="job", cause_id=job_id
        )
    )


class JobService:
    def __init__(
        self,
        session: AsyncSession,
        catalog: Registry[PipelineSpec],
        engines: Engines,
        *,
        max_attempts: int,
        prices: CreditsSettings | None = None,
    ) -> None:
        self.session = session
        self.jobs = JobRepository(session)
        self.catalog = catalog
        self.engines = engines
        self.max_attempts = max_attempts
        self.prices = prices

    async def get(self, job_id: str, owner_id: str | None) -> Job:
        """A job of ``owner_id`` (or any job when ``owner_id`` is None, for admins)."""
        job = await (
            self.jobs.get(job_id) if owner_id is None else self.jobs.owned(job_id, owner_id)
        )
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        return job

    async def replay(self, owner_id: str, sub: Submission) -> JobRecord | None:
        """The job an earlier request with the same Idempotency-Key created, if any."""
        if sub.idempotency_key is None:
            return None
        existing = await self.jobs.by_idempotency_key(owner_id, sub.idempotency_key)
        return check_replay(None if existing is None else JobRecord.from_orm(existing), sub)

    async def submit(self, owner_id: str, sub: Submission) -> Submitted:
        """Submit inside the session's transaction (see :func:`submit_job`)."""
        existing = await self.replay(owner_id, sub)
        if existing is not None:
            return Submitted(existing, created=False)
        job = new_job(
            owner_id,
            sub,
            self.catalog,
            self.engines,
            max_attempts=self.max_attempts,
            prices=self.prices,
        )
        outbox: list[Event] = []
        created = await self.session.run_sync(
            lambda s: insert_submitted(
                s.connection(), job, outbox, self.catalog.get(sub.kind), studio=sub.studio
            )
        )
        for event in outbox:
            queue_for_publishing(self.session, event)
        if created:
            return Submitted(job, created=True)
        winner = await self.replay(owner_id, sub)
        if winner is None:
            raise LookupError(f"no job with Idempotency-Key {sub.idempotency_key}")
        return Submitted(winner, created=False)

    async def cancel(self, job_id: str, owner_id: str | None) -> Job:
        """Cancel now if queued; if running, ask it to stop at its next progress point."""
        job = await self.get(job_id, owner_id)
        if JobStatus(job.status).is_final:
            raise JobFinished(f"job {job_id} already ended ({job.status})")
        canceled: list[Event] = []
        if job.status == JobStatus.QUEUED:
            owner, queued = job.owner_id, job.id
            canceled = await self.session.run_sync(
                lambda s: cancel_queued(s.connection(), owner, job_id=queued)
            )
            for event in canceled:
                queue_for_publishing(self.session, event)
        if (
            not canceled
            and job.cancel_requested_at is None
            and await self.jobs.transition(
                job.id, from_status=JobStatus.RUNNING, cancel_requested_at=utcnow()
            )
        ):
            await record_event(self.session, job.id, "cancel_requested", {"status": "running"})
        await self.session.refresh(job)
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            raise JobFinished(f"job {job_id} already ended ({job.status})")
        return job
