"""Per-user signing secrets: created or rotated on request, shown once, kept to sign.

Sync functions over a Core ``Connection``, run inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from pictor.webhooks.models import WebhookDelivery, WebhookSecret
from pictor.webhooks.signing import new_secret

_S = WebhookSecret.__table__.c
_D = WebhookDelivery.__table__.c
#: ``last_error`` of a delivery held back because its owner has no secret yet.
WAITING_FOR_SECRET = "waiting: no webhook secret yet (POST /v1/webhooks/secret creates it)"  # noqa: S105


@dataclass(frozen=True)
class SecretInfo:
    created_at: datetime
    previous_expires_at: datetime | None


@dataclass(frozen=True)
class CreatedSecret:
    secret: str
    created_at: datetime
    previous_expires_at: datetime | None


def create_or_rotate(conn: Connection, owner_id: str, now: datetime, grace_s: int) -> CreatedSecret:
    """A new secret for ``owner_id``; the one it replaces keeps signing ``grace_s`` more.

    Deliveries that waited for a secret are made due at once.
    """
    secret = new_secret()
    current = conn.execute(
        select(_S.secret).where(_S.owner_id == owner_id).with_for_update()
    ).scalar_one_or_none()
    expires = None
    if current is None:
        try:
            with conn.begin_nested():
                values = {"owner_id": owner_id, "secret": secret, "created_at": now}
                conn.execute(insert(WebhookSecret).values(**values))
        except IntegrityError:
            # A concurrent first POST made one: the one made here wins, as a rotation.
            current = conn.execute(select(_S.secret).where(_S.owner_id == owner_id)).scalar_one()
    if current is not None:
        expires = now + timedelta(seconds=grace_s) if grace_s > 0 else None
        conn.execute(
            update(WebhookSecret)
            .where(_S.owner_id == owner_id)
            .values(
                secret=secret,
                created_at=now,
                previous_secret=current if expires else None,
                previous_expires_at=expires,
            )
        )
    conn.execute(
        update(WebhookDelivery)
        .where(
            _D.owner_id == owner_id,
            _D.status == "pending",
            _D.last_error == WAITING_FOR_SECRET,
        )
        .values(next_attempt_at=now, updated_at=now)
    )
    return CreatedSecret(secret=secret, created_at=now, previous_expires_at=expires)


def secret_info(conn: Connection, owner_id: str, now: datetime) -> SecretInfo | None:
    row = conn.execute(
        select(_S.created_at, _S.previous_expires_at).where(_S.owner_id == owner_id)
    ).first()
    if row is None:
        return None
    expires = row.previous_expires_at
    return SecretInfo(row.created_at, expires if expires is not None and expires > now else None)


def has_secret(conn: Connection, owner_id: str) -> bool:
    return conn.execute(select(_S.owner_id).where(_S.owner_id == owner_id)).first() is not None


def signing_secrets(conn: Connection, owner_id: str, now: datetime) -> list[str]:
    """The secrets that sign ``owner_id``'s deliveries now: the current one first, then
    the previous one while its grace period lasts. Empty: the user has none yet."""
    row = conn.execute(
        select(_S.secret, _S.previous_secret, _S.previous_expires_at).where(_S.owner_id == owner_id)
    ).first()
    if row is None:
        return []
    found = [str(row.secret)]
    if row.previous_secret and row.previous_expires_at and row.previous_expires_at > now:
        found.append(str(row.previous_secret))
    return found
