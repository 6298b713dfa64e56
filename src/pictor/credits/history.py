"""Reading a user's ledger, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select

from pictor.credits.ledger import ENTRIES
from pictor.errors import InvalidInput

_e = ENTRIES.c
_COLUMNS = (
    _e.id,
    _e.entry,
    _e.amount,
    _e.reserved_delta,
    _e.balance_after,
    _e.cause_type,
    _e.cause_id,
    _e.note,
    _e.created_at,
)
_FIRST = (
    select(*_COLUMNS)
    .where(_e.user_id == bindparam("uid"))
    .order_by(_e.id.desc())
    .limit(bindparam("n"))
)
_AFTER = (
    select(*_COLUMNS)
    .where(_e.user_id == bindparam("uid"), _e.id < bindparam("before"))
    .order_by(_e.id.desc())
    .limit(bindparam("n"))
)


def parse_cursor(cursor: str | None) -> int | None:
    """A cursor is the id of the last entry of the previous page."""
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 19:
        raise InvalidInput("not a cursor from this list", code="invalid_cursor", field="cursor")
    return int(cursor)


def page(conn: Connection, user_id: str, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` entries of ``user_id`` older than entry ``before`` (all when None)."""
    params: dict[str, Any] = {"uid": user_id, "n": limit}
    if before is None:
        rows = conn.execute(_FIRST, params)
    else:
        rows = conn.execute(_AFTER, {**params, "before": before})
    return [dict(row) for row in rows.mappings()]
