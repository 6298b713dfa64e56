"""Helpers of the credits tests: users with an exact balance, ledger reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, select
from tests.conftest import User, new_user

from pictor.credits import ledger
from pictor.credits.ledger import ENTRIES
from pictor.runtime import Runtime

T = TypeVar("T")


async def funded_user(runtime: Runtime, available: int) -> User:
    """A new user with exactly ``available`` credits."""
    return await new_user(runtime, credits=available)


async def write(runtime: Runtime, fn: Callable[[Connection], T]) -> T:
    return await runtime.db.write(fn)


async def balance(runtime: Runtime, user_id: str) -> ledger.Balance:
    return await runtime.db.read(lambda conn: ledger.balance(conn, user_id))


async def entries(runtime: Runtime, user_id: str) -> list[dict[str, Any]]:
    query = select(ENTRIES).where(ENTRIES.c.user_id == user_id).order_by(ENTRIES.c.id)
    rows = await runtime.db.read(lambda conn: conn.execute(query).mappings().all())
    return [dict(row) for row in rows]
