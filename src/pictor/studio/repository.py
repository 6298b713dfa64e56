"""Every query of the studio, as Core statements over one ``Connection``.

Each function runs inside the caller's transaction (``Database.write`` / ``read``).
Rows come back as frozen records, not ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, insert, select, update

from pictor.artifacts.models import Artifact
from pictor.db.base import utcnow
from pictor.jobs.models import FINAL_STATUSES, Job
from pictor.studio.models import MessageStatus, StudioMessage, StudioSession

SESSIONS = cast(Table, StudioSession.__table__)
MESSAGES = cast(Table, StudioMessage.__table__)
_s = SESSIONS.c
_m = MESSAGES.c
_a = cast(Table, Artifact.__table__).c
_j = cast(Table, Job.__table__).c


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    owner_id: str
    title: str
    last_image_id: str | None
    event_seq: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: str
    session_id: str
    owner_id: str
    role: str
    text: str
    image_ids: list[str]
    status: str
    intent: str | None
    params: dict[str, Any]
    prompt: str
    engine: str | None
    confidence: float | None
    job_id: str | None
    outputs: list[dict[str, Any]]
    error_code: str | None
    error_message: str | None
    reply: str
    seq: int
    position: int
    reply_to: str | None
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime


_SESSION_COLUMNS = tuple(_s[f.name] for f in fields(SessionRecord))
_MESSAGE_COLUMNS = tuple(_m[f.name] for f in fields(MessageRecord))


def _session(row: Any) -> SessionRecord:
    return SessionRecord(*row)


def _message(row: Any) -> MessageRecord:
    return MessageRecord(*row)


# Sessions


def insert_session(conn: Connection, session_id: str, owner_id: str, title: str) -> SessionRecord:
    now = utcnow()
    row = conn.execute(
        insert(SESSIONS)
        .values(
            id=session_id,
            owner_id=owner_id,
            title=title,
            last_image_id=None,
            event_seq=0,
            created_at=now,
            updated_at=now,
            deleted_at=None,
        )
        .returning(*_SESSION_COLUMNS)
    ).one()
    return _session(row)


def owned_session(conn: Connection, session_id: str, owner_id: str) -> SessionRecord | None:
    """A session of ``owner_id`` that is not deleted."""
    row = conn.execute(
        select(*_SESSION_COLUMNS).where(
            _s.id == session_id, _s.owner_id == owner_id, _s.deleted_at.is_(None)
        )
    ).first()
    return None if row is None else _session(row)


def session_page(
    conn: Connection, owner_id: str, cursor: str | None, limit: int
) -> list[SessionRecord]:
    """The owner's sessions, newest first, after ``cursor`` (a session id)."""
    query = select(*_SESSION_COLUMNS).where(_s.owner_id == owner_id, _s.deleted_at.is_(None))
    if cursor:
        query = query.where(_s.id < cursor)
    rows = conn.execute(query.order_by(_s.id.desc()).limit(limit))
    return [_session(row) for row in rows]


def delete_session(conn: Connection, session_id: str, owner_id: str) -> bool:
    now = utcnow()
    result = conn.execute(
        update(SESSIONS)
        .where(_s.id == session_id, _s.owner_id == owner_id, _s.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now)
    )
    return bool(result.rowcount)


def next_seq(
    conn: Connection,
    session_id: str,
    *,
    last_image_id: str | None = None,
    title: str | None = None,
) -> int:
    """Take the session's next event number (the row lock orders concurrent changes),
    optionally moving its last image or giving it a title."""
    values: dict[str, Any] = {"event_seq": _s.event_seq + 1, "updated_at": utcnow()}
    if last_image_id is not None:
        values["last_image_id"] = last_image_id
    if title is not None:
        values["title"] = title
    seq = conn.execute(
        update(SESSIONS).where(_s.id == session_id).values(**values).returning(_s.event_seq)
    ).scalar_one()
    return int(seq)


# Messages


def insert_message(conn: Connection, values: dict[str, Any]) -> MessageRecord:
    """Insert a message; ``values`` must carry its ``seq`` (see :func:`next_seq`), which
    is also its place in the session."""
    now = utcnow()
    row = conn.execute(
        insert(MESSAGES)
        .values({"created_at": now, "updated_at": now, "position": values["seq"], **values})
        .returning(*_MESSAGE_COLUMNS)
    ).one()
    return _message(row)


def change_message(
    conn: Connection,
    message: MessageRecord,
    *,
    last_image_id: str | None = None,
    **values: Any,
) -> MessageRecord | None:
    """Change a ``processing`` message, with the session's next event number; None
    (and nothing changed) when it is no longer processing."""
    current = conn.execute(
        select(_m.status).where(_m.id == message.id).with_for_update()
    ).scalar_one_or_none()
    if current != MessageStatus.PROCESSING:
        return None
    seq = next_seq(conn, message.session_id, last_image_id=last_image_id)
    row = conn.execute(
        update(MESSAGES)
        .where(_m.id == message.id, _m.status == MessageStatus.PROCESSING)
        .values(seq=seq, updated_at=utcnow(), **values)
        .returning(*_MESSAGE_COLUMNS)
    ).first()
    return None if row is None else _message(row)


def get_message(conn: Connection, message_id: str) -> MessageRecord | None:
    row = conn.execute(select(*_MESSAGE_COLUMNS).where(_m.id == message_id)).first()
    return None if row is None else _message(row)


def owned_message(
    conn: Connection, session_id: str, message_id: str, owner_id: str
) -> MessageRecord | None:
    """A message of a session of ``owner_id`` that is not deleted."""
    joined = MESSAGES.join(SESSIONS, _s.id == _m.session_id)
    row = conn.execute(
        select(*_MESSAGE_COLUMNS)
        .select_from(joined)
        .where(
            _m.id == message_id,
            _m.session_id == session_id,
            _s.owner_id == owner_id,
            _s.deleted_at.is_(None),
        )
    ).first()
    return None if row is None else _message(row)


def by_idempotency_key(conn: Connection, owner_id: str, key: str) -> MessageRecord | None:
    """The user message ``owner_id`` posted with this Idempotency-Key."""
    row = conn.execute(
        select(*_MESSAGE_COLUMNS).where(_m.owner_id == owner_id, _m.idempotency_key == key)
    ).first()
    return None if row is None else _message(row)


def answer_to(conn: Connection, message: MessageRecord) -> MessageRecord | None:
    """The assistant message answering a user message (posted right after it, in the
    same transaction)."""
    row = conn.execute(
        select(*_MESSAGE_COLUMNS).where(
            _m.session_id == message.session_id,
            _m.position == message.position + 1,
            _m.reply_to == message.id,
        )
    ).first()
    return None if row is None else _message(row)


def messages_of(conn: Connection, session_id: str) -> list[MessageRecord]:
    """Every message of a session, in the order they were posted."""
    rows = conn.execute(
        select(*_MESSAGE_COLUMNS).where(_m.session_id == session_id).order_by(_m.position)
    )
    return [_message(row) for row in rows]


def messages_after(conn: Connection, session_id: str, after_seq: int) -> list[MessageRecord]:
    """The messages whose latest change came after event ``after_seq``, in event order."""
    rows = conn.execute(
        select(*_MESSAGE_COLUMNS)
        .where(_m.session_id == session_id, _m.seq > after_seq)
        .order_by(_m.seq)
    )
    return [_message(row) for row in rows]


def user_history(conn: Connection, session_id: str, count: int) -> list[str]:
    """The last ``count`` user texts of a session, oldest first."""
    if count <= 0:
        return []
    rows = conn.execute(
        select(_m.text)
        .where(_m.session_id == session_id, _m.role == "user")
        .order_by(_m.position.desc())
        .limit(count)
    )
    return [str(row[0]) for row in rows][::-1]


def processing_for_job(conn: Connection, job_id: str) -> MessageRecord | None:
    row = conn.execute(
        select(*_MESSAGE_COLUMNS).where(_m.job_id == job_id, _m.status == MessageStatus.PROCESSING)
    ).first()
    return None if row is None else _message(row)


def processing_with_ended_job(conn: Connection, limit: int) -> list[MessageRecord]:
    """Processing messages whose job has already ended (no one heard it end)."""
    joined = MESSAGES.join(Job.__table__, _j.id == _m.job_id)
    rows = conn.execute(
        select(*_MESSAGE_COLUMNS)
        .select_from(joined)
        .where(_m.status == MessageStatus.PROCESSING, _j.status.in_(list(FINAL_STATUSES)))
        .order_by(_m.id)
        .limit(limit)
    )
    return [_message(row) for row in rows]


def processing_without_job(
    conn: Connection, posted_before: datetime, limit: int
) -> list[MessageRecord]:
    """Processing messages still without a job, posted before ``posted_before``."""
    rows = conn.execute(
        select(*_MESSAGE_COLUMNS)
        .where(
            and_(
                _m.status == MessageStatus.PROCESSING,
                _m.job_id.is_(None),
                _m.created_at < posted_before,
            )
        )
        .order_by(_m.id)
        .limit(limit)
    )
    return [_message(row) for row in rows]


# Images


@dataclass(frozen=True, slots=True)
class ImageRecord:
    id: str
    content_type: str


def owned_images(conn: Connection, owner_id: str, ids: Sequence[str]) -> dict[str, ImageRecord]:
    """The artifacts among ``ids`` that ``owner_id`` has (uploads or outputs, not deleted)."""
    if not ids:
        return {}
    rows = conn.execute(
        select(_a.id, _a.content_type).where(
            _a.id.in_(list(ids)), _a.owner_id == owner_id, _a.deleted_at.is_(None)
        )
    )
    return {str(row[0]): ImageRecord(str(row[0]), str(row[1])) for row in rows}
