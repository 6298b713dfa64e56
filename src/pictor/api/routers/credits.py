"""/v1/credits: your balance and your ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.credits import history, ledger
from pictor.credits.schemas import CreditsOut, LedgerEntryOut, LedgerPage

router = APIRouter(prefix="/v1/credits", tags=["credits"])


@router.get("", response_model=CreditsOut, summary="Your credit balance")
async def get_credits(runtime: RuntimeDep, principal: PrincipalDep) -> CreditsOut:
    """`available` is what you can spend; `reserved` is held by jobs still queued or
    running (charged when they succeed, given back when they fail or are canceled)."""
    user_id = principal.user_id
    now = await runtime.db.read(lambda conn: ledger.balance(conn, user_id))
    return CreditsOut(available=now.available, reserved=now.reserved)


@router.get("/ledger", response_model=LedgerPage, summary="Your ledger, newest first")
async def get_ledger(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    cursor: Annotated[str | None, Query(max_length=32, description="`next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> LedgerPage:
    """Every change of your balance: grants, purchases, reservations, charges,
    releases, refunds and adjustments, each with its cause. Pass `next_cursor` as
    `cursor` for the next (older) page."""
    before = history.parse_cursor(cursor)
    user_id = principal.user_id
    rows = await runtime.db.read(lambda conn: history.page(conn, user_id, before, limit + 1))
    shown = rows[:limit]
    has_more = len(rows) > limit
    data = [
        LedgerEntryOut(
            id=str(row["id"]),
            type=row["entry"],
            amount=row["amount"],
            reserved_delta=row["reserved_delta"],
            balance_after=row["balance_after"],
            cause_type=row["cause_type"],
            cause_id=row["cause_id"],
            note=row["note"],
            created_at=row["created_at"],
        )
        for row in shown
    ]
    return LedgerPage(data=data, has_more=has_more, next_cursor=data[-1].id if has_more else None)
