"""On PostgreSQL a submitted job, its queued event and its reservation are written by
one statement in autocommit, sent on asyncpg directly: one round trip (see
pictor.jobs.submit_pg and pictor.db.direct)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import event
from tests.conftest import User
from tests.credits.support import balance, entries

from pictor.credits import audit
from pictor.db.direct import DirectStatement
from pictor.runtime import Runtime


# SQLite writes statement by statement in one transaction: this is PostgreSQL's path.
@pytest.mark.parametrize("runtime", ["postgresql"], indirect=True)
async def test_a_priced_submit_is_one_statement_on_postgresql(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    statements: list[str] = []  # through the engine
    direct: list[str] = []  # on asyncpg directly
    db = runtime.db
    fetch_direct = db.fetch_direct

    def seen(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(" ".join(sql.split()))

    async def sent(statement: DirectStatement, params: dict[str, Any]) -> Any:
        direct.append(" ".join(statement.sql.split()))
        return await fetch_direct(statement, params)

    before = await balance(runtime, user.id)
    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    db.fetch_direct = sent  # type: ignore[method-assign]
    try:
        body = {"kind": "test_flaky", "params": {"fail_times": 0}}
        made = await client.post("/v1/jobs", json=body, headers=user.headers)
    finally:
        del db.fetch_direct
        event.remove(engine, "before_cursor_execute", seen)
    assert made.status_code == 201, made.text
    job = made.json()
    assert job["cost"] > 0
    # The request's statements through the engine are the API key's (look-up, last use).
    assert not [sql for sql in statements if "job" in sql or "credit" in sql], statements
    assert not [sql for sql in statements if sql.split()[0] in ("BEGIN", "COMMIT")]
    # A worker may claim the job at once: the submit is the first statement sent.
    assert direct[0].startswith("WITH debit AS"), direct
    assert "INSERT INTO jobs" in direct[0] and "INSERT INTO credit_entries" in direct[0]
    mine = [e for e in await entries(runtime, user.id) if e["cause_id"] == job["id"]]
    [reserve] = [e for e in mine if e["entry"] == "reserve"]
    assert reserve["reserved_delta"] == job["cost"] and reserve["amount"] == -job["cost"]
    assert reserve["balance_after"] == before.available - job["cost"]
    events = await client.get(f"/v1/jobs/{job['id']}/events", headers=user.headers)
    assert '"seq":1,"type":"queued"' in events.text.replace(" ", "")
    assert await runtime.db.read(audit.check) == []
