"""A message ends when its job ends: done with the outputs, or failed with the reason.

Used by the background service (a job's final event, the sweep) and by the request
that links a message to its job (the job may already have ended by then). Every
change is guarded by ``status = 'processing'``, so whoever comes second changes
nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from pictor.db.base import utcnow
from pictor.jobs.models import JobStatus
from pictor.jobs.records import JobRecord, OutputRecord
from pictor.jobs.transitions import by_idempotency_key, job_with_outputs
from pictor.studio import replies
from pictor.studio import repository as repo
from pictor.studio.models import MessageStatus
from pictor.studio.repository import MessageRecord
from pictor.studio.routing import job_key

#: Outputs that can be the session's next image (an SVG or a ZIP cannot).
RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})

ROUTING_INTERRUPTED = "routing_interrupted"


def settle_with_job(
    conn: Connection, message: MessageRecord, job: JobRecord, outputs: list[OutputRecord]
) -> MessageRecord | None:
    """End ``message`` as its (ended) job did; None if the job has not ended or the
    message already had."""
    status = JobStatus(job.status)
    if not status.is_final:
        return None
    if status == JobStatus.SUCCEEDED:
        made = [
            {"id": o.id, "content_type": o.content_type, "width": o.width, "height": o.height}
            for o in outputs
        ]
        image = next((o.id for o in outputs if o.content_type in RASTER_TYPES), None)
        return repo.change_message(
            conn,
            message,
            last_image_id=image,
            status=MessageStatus.DONE,
            outputs=made,
            reply=replies.done(job.kind),
        )
    code = job.error_code or ("job_canceled" if status == JobStatus.CANCELED else "job_failed")
    reason = job.error_message or "the job ended without a result"
    return repo.change_message(
        conn,
        message,
        status=MessageStatus.FAILED,
        error_code=code,
        error_message=reason,
        reply=replies.failed(reason),
    )


def settle_job(conn: Connection, message: MessageRecord) -> MessageRecord | None:
    """End a message linked to a job if that job has ended (one write unit)."""
    if message.job_id is None:
        return None
    found = job_with_outputs(conn, message.job_id, None)
    if found is None:
        return None
    return settle_with_job(conn, message, *found)


def fail(
    conn: Connection, message: MessageRecord, code: str, reason: str, **described: Any
) -> MessageRecord | None:
    return repo.change_message(
        conn,
        message,
        status=MessageStatus.FAILED,
        error_code=code,
        error_message=reason,
        reply=replies.failed(reason),
        **described,
    )


def link_job(
    conn: Connection, message: MessageRecord, job: JobRecord, **described: Any
) -> list[MessageRecord]:
    """Link a message to the job it submitted, and end it at once if that job already
    ended (so no final event can fall between submitting and linking)."""
    linked = repo.change_message(
        conn, message, job_id=job.id, reply=replies.working(job.kind), **described
    )
    if linked is None:
        return []
    ended = settle_job(conn, linked)
    return [linked] if ended is None else [linked, ended]


def recover_unrouted(conn: Connection, message: MessageRecord) -> list[MessageRecord]:
    """A message whose routing was cut short (its server stopped): link it to the job
    it had submitted, if any (found by its Idempotency-Key), else fail it."""
    job = by_idempotency_key(conn, message.owner_id, job_key(message.id))
    if job is not None:
        return link_job(conn, message, job, intent=message.intent or job.kind, params=job.params)
    reason = "the server stopped while reading this message; please send it again"
    failed = fail(conn, message, ROUTING_INTERRUPTED, reason)
    return [] if failed is None else [failed]


def unrouted_cutoff(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)
