"""The ledger's functions on SQLite and PostgreSQL: every change is an entry, the
balance row is the sum of the entries, nothing goes below zero."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection
from tests.credits.support import balance, entries, funded_user, write

from pictor.credits import ledger
from pictor.credits.ledger import InsufficientCredits
from pictor.runtime import Runtime


def _sums(rows: list[dict[str, object]]) -> tuple[int, int]:
    return (
        sum(int(r["amount"]) for r in rows),  # type: ignore[call-overload]
        sum(int(r["reserved_delta"]) for r in rows),  # type: ignore[call-overload]
    )


async def _check_sums(runtime: Runtime, user_id: str) -> ledger.Balance:
    now = await balance(runtime, user_id)
    assert _sums(await entries(runtime, user_id)) == (now.available, now.reserved)
    return now


async def test_a_new_user_starts_with_the_signup_grant(runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)  # the grant, then an adjustment to 0
    rows = await entries(runtime, user.id)
    grant = runtime.settings.credits.signup_grant
    assert [(r["entry"], r["amount"], r["cause_type"]) for r in rows] == [
        ("grant", grant, "signup"),
        ("adjustment", -grant, "admin"),
    ]


async def test_open_account_grants_once(runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)
    # A second open (a retried signup) changes nothing.
    await write(runtime, lambda conn: ledger.open_account(conn, user.id, 20))
    assert await _check_sums(runtime, user.id) == ledger.Balance(0, 0)


async def test_open_account_of_a_new_user_writes_a_grant_entry(runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)

    def reopen(conn: Connection) -> None:
        conn.execute(ledger.ENTRIES.delete().where(ledger.ENTRIES.c.user_id == user.id))
        conn.execute(ledger.BALANCES.delete().where(ledger.BALANCES.c.user_id == user.id))
        ledger.open_account(conn, user.id, 20)

    await write(runtime, reopen)
    rows = await entries(runtime, user.id)
    assert [(r["entry"], r["amount"], r["balance_after"], r["cause_type"]) for r in rows] == [
        ("grant", 20, 20, "signup")
    ]
    assert await _check_sums(runtime, user.id) == ledger.Balance(20, 0)


async def test_reserve_then_charge_part_and_release_the_rest(runtime: Runtime) -> None:
    user = await funded_user(runtime, 10)
    cause = {"cause_type": "test", "cause_id": "x1"}
    await write(runtime, lambda conn: ledger.reserve(conn, user.id, 6, **cause))
    assert await _check_sums(runtime, user.id) == ledger.Balance(4, 6)
    await write(runtime, lambda conn: ledger.settle(conn, user.id, 6, 4, **cause))
    assert await _check_sums(runtime, user.id) == ledger.Balance(6, 0)
    tail = (await entries(runtime, user.id))[-3:]
    assert [(r["entry"], r["amount"], r["reserved_delta"], r["balance_after"]) for r in tail] == [
        ("reserve", -6, 6, 4),
        ("charge", 0, -4, 4),
        ("release", 2, -2, 6),
    ]
    assert {r["cause_id"] for r in tail} == {"x1"}


async def test_reserving_more_than_available_raises_and_changes_nothing(
    runtime: Runtime,
) -> None:
    user = await funded_user(runtime, 3)
    before = await entries(runtime, user.id)
    with pytest.raises(InsufficientCredits) as caught:
        await write(
            runtime,
            lambda conn: ledger.reserve(conn, user.id, 4, cause_type="test", cause_id="j"),
        )
    assert caught.value.code == "insufficient_credits"
    assert caught.value.details == {"required": 4, "available": 3}
    assert await entries(runtime, user.id) == before
    assert await _check_sums(runtime, user.id) == ledger.Balance(3, 0)


async def test_reserve_without_an_account_is_insufficient(runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)

    def drop_account(conn: Connection) -> None:
        conn.execute(ledger.ENTRIES.delete().where(ledger.ENTRIES.c.user_id == user.id))
        conn.execute(ledger.BALANCES.delete().where(ledger.BALANCES.c.user_id == user.id))

    await write(runtime, drop_account)
    with pytest.raises(InsufficientCredits):
        await write(
            runtime, lambda conn: ledger.reserve(conn, user.id, 1, cause_type="test", cause_id="j")
        )


async def test_settle_outstanding_is_idempotent(runtime: Runtime) -> None:
    user = await funded_user(runtime, 5)
    cause = {"cause_type": "test", "cause_id": "twice"}
    await write(runtime, lambda conn: ledger.reserve(conn, user.id, 5, **cause))
    charged = await write(
        runtime, lambda conn: ledger.settle_outstanding(conn, user.id, 2, **cause)
    )
    again = await write(runtime, lambda conn: ledger.settle_outstanding(conn, user.id, 5, **cause))
    assert (charged, again) == (2, 0)
    assert await _check_sums(runtime, user.id) == ledger.Balance(3, 0)


async def test_settle_refuses_a_charge_above_the_reservation(runtime: Runtime) -> None:
    user = await funded_user(runtime, 5)
    with pytest.raises(ValueError):
        await write(
            runtime,
            lambda conn: ledger.settle(conn, user.id, 2, 3, cause_type="test", cause_id="j"),
        )


async def test_credit_purchase_and_negative_refund(runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)
    paid = {"cause_type": "payment", "cause_id": "evt_1"}
    after = await write(
        runtime, lambda conn: ledger.credit(conn, user.id, 100, entry="purchase", **paid)
    )
    assert after == 100
    after = await write(
        runtime, lambda conn: ledger.credit(conn, user.id, -30, entry="refund", **paid)
    )
    assert after == 70
    assert await _check_sums(runtime, user.id) == ledger.Balance(70, 0)


async def test_credit_below_zero_refused_unless_clamped(runtime: Runtime) -> None:
    user = await funded_user(runtime, 10)
    cause = {"cause_type": "payment", "cause_id": "evt_refund"}
    with pytest.raises(InsufficientCredits):
        await write(
            runtime, lambda conn: ledger.credit(conn, user.id, -11, entry="refund", **cause)
        )
    assert await _check_sums(runtime, user.id) == ledger.Balance(10, 0)
    after = await write(
        runtime,
        lambda conn: ledger.credit(conn, user.id, -11, entry="refund", clamp=True, **cause),
    )
    assert after == 0
    last = (await entries(runtime, user.id))[-1]
    assert (last["entry"], last["amount"], last["balance_after"]) == ("refund", -10, 0)
    assert await _check_sums(runtime, user.id) == ledger.Balance(0, 0)


async def test_credit_refuses_job_entries_and_negative_grants(runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)
    for entry, amount in (("charge", 1), ("reserve", 1), ("grant", -1), ("purchase", -1)):
        with pytest.raises(ValueError):
            await write(
                runtime,
                lambda conn, e=entry, a=amount: ledger.credit(
                    conn, user.id, a, entry=e, cause_type="admin", cause_id="x"
                ),
            )
    assert await _check_sums(runtime, user.id) == ledger.Balance(0, 0)


async def test_clamped_credit_keeps_reserved_credits(runtime: Runtime) -> None:
    """A refund takes from what is available, never from credits held by running jobs."""
    user = await funded_user(runtime, 10)
    cause = {"cause_type": "test", "cause_id": "held"}
    await write(runtime, lambda conn: ledger.reserve(conn, user.id, 8, **cause))
    await write(
        runtime,
        lambda conn: ledger.credit(
            conn, user.id, -5, entry="refund", cause_type="payment", cause_id="e", clamp=True
        ),
    )
    assert await _check_sums(runtime, user.id) == ledger.Balance(0, 8)
    await write(runtime, lambda conn: ledger.settle(conn, user.id, 8, 0, **cause))


async def test_the_audit_finds_a_balance_that_is_not_the_sum_of_its_entries(
    runtime: Runtime,
) -> None:
    from pictor.credits import audit

    user = await funded_user(runtime, 5)
    rows = ledger.BALANCES.c

    def nudge(delta: int) -> Callable[[Connection], None]:
        def unit(conn: Connection) -> None:
            statement = ledger.BALANCES.update().where(rows.user_id == user.id)
            conn.execute(statement.values(available=rows.available + delta))

        return unit

    await write(runtime, nudge(1))
    try:
        problems = await runtime.db.read(audit.check)
    finally:
        await write(runtime, nudge(-1))
    assert problems == [
        f"user {user.id}: balance row 6/0 (available/reserved) but entries sum to 5/0"
    ]
    assert await runtime.db.read(audit.check) == []
