"""On PostgreSQL a submitted job, its queued event and its reservation are written by
one statement in autocommit: one round trip (see pictor.jobs.submit_pg)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import event
from tests.conftest import User
from tests.credits.support import balance, entries

from pictor.credits import audit
from pictor.runtime import Runtime


# SQLite writes statement by statement in one transaction: this is PostgreSQL's path.
@pytest.mark.parametrize("runtime", ["postgresql"], indirect=True)
async def test_a_priced_submit_is_one_statement_on_postgresql(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements.append(" ".join(sql.split()))

    before = await balance(runtime, user.id)
    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        body = {"kind": "test_flaky", "params": {"fail_times": 0}}
        made = await client.post("/v1/jobs", json=body, headers=user.headers)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert made.status_code == 201, made.text
    job = made.json()
    assert job["cost"] > 0
    # The request's other statements are the API key's (look-up, last use).
    submit = [sql for sql in statements if "job" in sql or "credit" in sql]
    assert len(submit) == 1 and submit[0].startswith("WITH"), statements
    assert not [sql for sql in statements if sql.split()[0] in ("BEGIN", "COMMIT")]
    mine = [e for e in await entries(runtime, user.id) if e["cause_id"] == job["id"]]
    [reserve] = [e for e in mine if e["entry"] == "reserve"]
    assert reserve["reserved_delta"] == job["cost"] and reserve["amount"] == -job["cost"]
    assert reserve["balance_after"] == before.available - job["cost"]
    events = await client.get(f"/v1/jobs/{job['id']}/events", headers=user.headers)
    assert '"seq":1,"type":"queued"' in events.text.replace(" ", "")
    assert await runtime.db.read(audit.check) == []
