"""50 submissions at once against a balance of exactly 10 one-credit jobs: exactly 10
accepted, 40 refused with 402, and the balance never below zero. On PostgreSQL the
requests run as concurrent transactions on separate connections; on SQLite writers
queue for the one write lock."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from tests.credits.support import balance, entries, funded_user
from tests.support.gates import Gate

from pictor.credits import audit, ledger
from pictor.runtime import Runtime

SUBMISSIONS = 50
BALANCE = 10


async def test_fifty_concurrent_submissions_against_ten_credits(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, BALANCE)
    async with Gate() as gate:
        body = {"kind": "test_block", "input": [], "params": {"port": gate.port}}
        responses = await asyncio.gather(
            *(client.post("/v1/jobs", json=body, headers=user.headers) for _ in range(SUBMISSIONS))
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: BALANCE, 402: SUBMISSIONS - BALANCE}
        refused = [r.json()["error"]["code"] for r in responses if r.status_code == 402]
        assert set(refused) == {"insufficient_credits"}
        # Every accepted job holds its credit; none has run to its end yet.
        assert await balance(runtime, user.id) == ledger.Balance(0, BALANCE)
        rows = await entries(runtime, user.id)
        assert sum(r["amount"] for r in rows) == 0
        assert sum(r["reserved_delta"] for r in rows) == BALANCE
        assert min(r["balance_after"] for r in rows) >= 0
        assert await runtime.db.read(audit.check) == []

        accepted = [r.json()["id"] for r in responses if r.status_code == 201]
        for _ in accepted:  # the workers run them a few at a time
            await (await gate.arrival()).release()
        for job_id in accepted:
            async with client.stream(
                "GET", f"/v1/jobs/{job_id}/events", headers=user.headers
            ) as stream:
                async for _ in stream.aiter_lines():
                    pass
    listed = await client.get("/v1/jobs", params={"limit": 100}, headers=user.headers)
    assert sorted(j["id"] for j in listed.json()["data"]) == sorted(accepted)
    assert {j["status"] for j in listed.json()["data"]} == {"succeeded"}
    assert await balance(runtime, user.id) == ledger.Balance(0, 0)
    charges = [r for r in await entries(runtime, user.id) if r["entry"] == "charge"]
    assert len(charges) == BALANCE
    assert await runtime.db.read(audit.check) == []
