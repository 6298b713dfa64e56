"""Every query of webhook deliveries and disabled URLs (Core, inside the caller's
transaction)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from pictor.jobs.events import FINAL_EVENT_TYPES, Event
from pictor.jobs.models import Job, JobEvent
from pictor.webhooks.models import WebhookDelivery, WebhookDisabledUrl

_D = WebhookDelivery.__table__.c
_X = WebhookDisabledUrl.__table__.c
FINAL_DELIVERY_TYPES = tuple(f"job.{t}" for t in sorted(FINAL_EVENT_TYPES))


@dataclass(frozen=True)
class DeliveryRow:
    id: str
    owner_id: str
    job_id: str | None
    batch_id: str | None
    event_type: str
    payload: dict[str, Any]
    url: str
    status: str
    attempts: int
    attempt_log: list[dict[str, Any]]
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = [
    _D.id,
    _D.owner_id,
    _D.job_id,
    _D.batch_id,
    _D.event_type,
    _D.payload,
    _D.url,
    _D.status,
    _D.attempts,
    _D.attempt_log,
    _D.next_attempt_at,
    _D.last_status_code,
    _D.last_error,
    _D.created_at,
    _D.updated_at,
]


def _row(row: Any) -> DeliveryRow:
    return DeliveryRow(*row)


def url_sha256(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def insert_delivery(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert one delivery; False if one with the same ``event_key`` exists already."""
    if values.get("event_key") is None:
        conn.execute(insert(WebhookDelivery).values(**values))
        return True
    try:
        with conn.begin_nested():
            conn.execute(insert(WebhookDelivery).values(**values))
    except IntegrityError:
        return False
    return True


def is_disabled(conn: Connection, owner_id: str, url: str) -> bool:
    found = select(_X.owner_id).where(_X.owner_id == owner_id, _X.url_sha256 == url_sha256(url))
    return conn.execute(found).first() is not None


def disable_url(conn: Connection, owner_id: str, url: str, delivery_id: str, now: datetime) -> None:
    if is_disabled(conn, owner_id, url):
        return
    values = {
        "owner_id": owner_id,
        "url_sha256": url_sha256(url),
        "url": url,
        "delivery_id": delivery_id,
        "disabled_at": now,
    }
    try:
        with conn.begin_nested():
            conn.execute(insert(WebhookDisabledUrl).values(**values))
    except IntegrityError:
        pass  # disabled by a concurrent delivery: same outcome


def enable_url(conn: Connection, owner_id: str, url: str) -> bool:
    """Send to ``url`` again; True if it was disabled."""
    gone = delete(WebhookDisabledUrl).where(
        _X.owner_id == owner_id, _X.url_sha256 == url_sha256(url)
    )
    return bool(conn.execute(gone).rowcount)


def _due(now: datetime) -> ColumnElement[bool]:
    free = or_(_D.leased_until.is_(None), _D.leased_until <= now)
    return and_(_D.status == "pending", _D.next_attempt_at <= now, free)


def any_due(conn: Connection, now: datetime) -> bool:
    """A read first, so an idle poll takes no write lock."""
    return conn.execute(select(_D.id).where(_due(now)).limit(1)).first() is not None


def claim_due(
    conn: Connection, now: datetime, lease_until: datetime, limit: int
) -> list[DeliveryRow]:
    """Take up to ``limit`` due deliveries for this sender until ``lease_until``."""
    due = _due(now)
    ids = select(_D.id).where(due).order_by(_D.next_attempt_at).limit(limit).scalar_subquery()
    # ``due`` again on the UPDATE itself: a concurrent sender that claimed a row first
    # makes it fail the re-check (PostgreSQL re-evaluates the WHERE of a locked row).
    claimed = conn.execute(
        update(WebhookDelivery)
        .where(_D.id.in_(ids), due)
        .values(leased_until=lease_until)
        .returning(*_COLUMNS)
    )
    return sorted((_row(r) for r in claimed), key=lambda d: d.id)


def finish_attempt(
    conn: Connection, delivery: DeliveryRow, attempt: dict[str, Any] | None, **values: Any
) -> None:
    """Store what an attempt did (``attempt`` None: nothing was sent) and release the lease."""
    if attempt is not None:
        values["attempts"] = delivery.attempts + 1
        values["attempt_log"] = [*delivery.attempt_log, attempt]
    conn.execute(
        update(WebhookDelivery).where(_D.id == delivery.id).values(leased_until=None, **values)
    )


def get(conn: Connection, owner_id: str, delivery_id: str) -> DeliveryRow | None:
    row = conn.execute(
        select(*_COLUMNS).where(_D.id == delivery_id, _D.owner_id == owner_id)
    ).first()
    return None if row is None else _row(row)


def page(
    conn: Connection,
    owner_id: str,
    *,
    job_id: str | None,
    batch_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> list[DeliveryRow]:
    """``owner_id``'s deliveries, newest first, after ``cursor`` (a delivery id)."""
    query = select(*_COLUMNS).where(_D.owner_id == owner_id)
    if job_id is not None:
        query = query.where(_D.job_id == job_id)
    if batch_id is not None:
        query = query.where(_D.batch_id == batch_id)
    if status is not None:
        query = query.where(_D.status == status)
    if cursor is not None:
        query = query.where(_D.id < cursor)
    rows = conn.execute(query.order_by(_D.id.desc()).limit(limit))
    return [_row(r) for r in rows]


def schedule_again(conn: Connection, delivery_id: str, now: datetime) -> None:
    conn.execute(
        update(WebhookDelivery)
        .where(_D.id == delivery_id)
        .values(status="pending", next_attempt_at=now, leased_until=None, updated_at=now)
    )


def latest_progress(conn: Connection, job_id: str) -> DeliveryRow | None:
    row = conn.execute(
        select(*_COLUMNS)
        .where(_D.job_id == job_id, _D.event_type == "job.progress")
        .order_by(_D.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _row(row)


def coalesce_progress(
    conn: Connection, delivery_id: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Replace the payload of a progress delivery not yet sent (nor being sent)."""
    replaced = conn.execute(
        update(WebhookDelivery)
        .where(
            _D.id == delivery_id,
            _D.status == "pending",
            _D.attempts == 0,
            _D.leased_until.is_(None),
        )
        .values(payload=payload, updated_at=now)
    )
    return bool(replaced.rowcount)


def drop_held_progress(conn: Connection, job_id: str, now: datetime) -> None:
    """A job's final event supersedes a progress delivery the throttle still holds back
    (never sent, due later); one already due is sent."""
    conn.execute(
        delete(WebhookDelivery).where(
            _D.job_id == job_id,
            _D.event_type == "job.progress",
            _D.status == "pending",
            _D.attempts == 0,
            _D.leased_until.is_(None),
            _D.next_attempt_at > now,
        )
    )


def final_events_without_delivery(
    conn: Connection, since: datetime
) -> list[tuple[str, str, str, str | None, Event]]:
    """(job id, owner, webhook URL, batch id, final event) of jobs with a webhook that
    ended after ``since`` and have no delivery of their final event (missed while no
    sender was running)."""
    jobs, events = Job.__table__.c, JobEvent.__table__.c
    has_delivery = exists().where(_D.job_id == jobs.id, _D.event_type.in_(FINAL_DELIVERY_TYPES))
    rows = conn.execute(
        select(
            jobs.id,
            jobs.owner_id,
            jobs.webhook_url,
            jobs.batch_id,
            events.seq,
            events.type,
            events.data,
            events.created_at,
        )
        .join(JobEvent, events.job_id == jobs.id)
        .where(
            jobs.webhook_url.is_not(None),
            jobs.status.in_(sorted(FINAL_EVENT_TYPES)),
            events.type.in_(sorted(FINAL_EVENT_TYPES)),
            events.created_at >= since,
            ~has_delivery,
        )
    )
    return [
        (
            r.id,
            r.owner_id,
            r.webhook_url,
            r.batch_id,
            Event(r.id, r.seq, r.type, r.data, r.created_at),
        )
        for r in rows
    ]
