"""The rules of webhooks that other areas call: accept a URL at submit, enqueue a
delivery, and turn a job's events into deliveries (filtered, progress throttled).

Sync functions take a Core ``Connection`` and run inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.ids import new_id
from pictor.jobs.events import Event
from pictor.jobs.models import Job
from pictor.webhooks import repository
from pictor.webhooks.errors import WebhookSecretMissing
from pictor.webhooks.secret_store import has_secret

#: What a client may put in ``webhook_events``; the final event is always sent.
EVENT_FILTERS = ("start", "progress", "completed")
#: The job event type each filter selects (final types are always selected).
_FILTER_OF_EVENT = {"running": "start", "progress": "progress"}
DISABLED_ERROR = "the URL answered 410 Gone: deliveries to it are disabled"


async def accept_webhook_url(db: Database, owner_id: str, url: str) -> None:
    """At submit, after the SSRF check: the owner needs a signing secret, and using a URL
    that a 410 disabled enables it again (the client says it wants deliveries there)."""

    def unit(conn: Connection) -> None:
        if not has_secret(conn, owner_id):
            raise WebhookSecretMissing(
                "create your webhook signing secret first: POST /v1/webhooks/secret",
                field="webhook",
            )
        repository.enable_url(conn, owner_id, url)

    await db.write(unit)


def enqueue_delivery(
    conn: Connection,
    owner_id: str,
    url: str,
    type_: str,
    data: dict[str, Any],
    *,
    batch_id: str | None = None,
    job_id: str | None = None,
    event_key: str | None = None,
    now: datetime | None = None,
    due_at: datetime | None = None,
    occurred_at: datetime | None = None,
) -> str | None:
    """Write one delivery of ``{"type": type_, "timestamp": occurred_at, "data": data}``
    to ``url``, sent by the webhooks service once due (``due_at``, default ``now``).

    ``event_key`` makes it idempotent: None is returned if a delivery with that key
    exists. A URL disabled by a 410 gets a ``disabled`` delivery that is never sent.
    The URL must have passed the SSRF check at submit (it is checked again when sent).
    """
    now = now or utcnow()
    disabled = repository.is_disabled(conn, owner_id, url)
    delivery_id = new_id("whd")
    inserted = repository.insert_delivery(
        conn,
        {
            "id": delivery_id,
            "owner_id": owner_id,
            "job_id": job_id,
            "batch_id": batch_id,
            "event_type": type_,
            "event_key": event_key,
            "payload": {"type": type_, "timestamp": (occurred_at or now).isoformat(), "data": data},
            "url": url,
            "status": "disabled" if disabled else "pending",
            "attempts": 0,
            "attempt_log": [],
            "next_attempt_at": None if disabled else (due_at or now),
            "last_error": DISABLED_ERROR if disabled else None,
            "created_at": now,
            "updated_at": now,
        },
    )
    return delivery_id if inserted else None


@dataclass(frozen=True)
class JobTarget:
    """Where a job's events go: its owner's URL, and which events besides the final one."""

    owner_id: str
    url: str
    events: frozenset[str]
    batch_id: str | None


def job_target(conn: Connection, job_id: str) -> JobTarget | None:
    jobs = Job.__table__.c
    row = conn.execute(
        select(jobs.owner_id, jobs.webhook_url, jobs.webhook_events, jobs.batch_id).where(
            jobs.id == job_id, jobs.webhook_url.is_not(None)
        )
    ).first()
    if row is None:
        return None
    return JobTarget(str(row[0]), str(row[1]), frozenset(row[2] or ()), row[3])


def wants(target: JobTarget, event: Event) -> bool:
    if event.is_final:
        return True
    wanted = _FILTER_OF_EVENT.get(event.type)
    return wanted is not None and wanted in target.events


def record_job_event(
    conn: Connection, target: JobTarget, event: Event, now: datetime, progress_interval_s: float
) -> str | None:
    """The delivery of one job event, if its target wants it; the id if one was written."""
    if not wants(target, event):
        return None
    data = {"id": event.job_id, **event.data}
    common: dict[str, Any] = {"job_id": event.job_id, "batch_id": target.batch_id}
    if event.type != "progress":
        if event.is_final:
            repository.drop_held_progress(conn, event.job_id, now)
        return enqueue_delivery(
            conn,
            target.owner_id,
            target.url,
            f"job.{event.type}",
            data,
            event_key=f"{event.job_id}.{event.seq}",
            now=now,
            occurred_at=event.created_at,
            **common,
        )
    last = repository.latest_progress(conn, event.job_id)
    if last is not None:
        payload = {"type": "job.progress", "timestamp": event.created_at.isoformat(), "data": data}
        if last.status == "pending" and repository.coalesce_progress(conn, last.id, payload, now):
            return None
    due = now
    if last is not None:
        first_due = (
            datetime.fromisoformat(last.attempt_log[0]["at"])
            if last.attempt_log
            else (last.next_attempt_at or last.created_at)
        )
        due = max(now, first_due + timedelta(seconds=progress_interval_s))
    return enqueue_delivery(
        conn,
        target.owner_id,
        target.url,
        "job.progress",
        data,
        now=now,
        due_at=due,
        occurred_at=event.created_at,
        **common,
    )
