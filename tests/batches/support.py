"""Helpers of the batches tests: create batches, follow items to their end, read rows."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.conftest import User
from tests.support.images import product_photo

from pictor.batches.background import Batches
from pictor.batches.models import Batch
from pictor.credits import ledger
from pictor.jobs.models import Job
from pictor.runtime import Runtime


def flaky(n: int, **params: Any) -> list[dict[str, Any]]:
    """``n`` quick items that succeed at once."""
    return [{"kind": "test_flaky", "params": {"fail_times": 0, **params}} for _ in range(n)]


def blocked(n: int, port: int) -> list[dict[str, Any]]:
    """``n`` items that each wait at the test's gate once running."""
    return [{"kind": "test_block", "params": {"port": port}} for _ in range(n)]


async def create(
    client: httpx.AsyncClient, user: User, body: dict[str, Any], status: int = 201, **headers: str
) -> Any:
    response = await client.post("/v1/batches", json=body, headers={**user.headers, **headers})
    assert response.status_code == status, response.text
    return response.json()


async def items(client: httpx.AsyncClient, user: User, batch_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: int | None = 0
    while cursor is not None:
        response = await client.get(
            f"/v1/batches/{batch_id}/items",
            params={"cursor": cursor, "limit": 1000},
            headers=user.headers,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["data"]
        cursor = page["next_cursor"]
    return found


async def follow_to_end(client: httpx.AsyncClient, user: User, job_id: str) -> Any:
    """Follow a job's SSE stream until its last event, then read the job."""
    async with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=user.headers) as resp:
        async for _ in resp.aiter_lines():
            pass
    return (await client.get(f"/v1/jobs/{job_id}", headers=user.headers)).json()


async def run_to_end(client: httpx.AsyncClient, user: User, batch_id: str) -> Any:
    for item in await items(client, user, batch_id):
        await follow_to_end(client, user, item["job_id"])
    return (await client.get(f"/v1/batches/{batch_id}", headers=user.headers)).json()


async def upload(client: httpx.AsyncClient, user: User, seed: int = 0) -> str:
    data = product_photo(64 + seed, 64)
    files = {"file": (f"p{seed}.jpg", data, "image/jpeg")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["id"]
    return upload_id


async def counts(runtime: Runtime, user_id: str) -> tuple[int, int]:
    """(batches, jobs) the user has."""

    def read(conn: Any) -> tuple[int, int]:
        batches = conn.execute(
            select(func.count()).select_from(Batch).where(Batch.owner_id == user_id)
        ).scalar_one()
        jobs = conn.execute(
            select(func.count()).select_from(Job).where(Job.owner_id == user_id)
        ).scalar_one()
        return int(batches), int(jobs)

    return await runtime.db.read(read)


async def balance(runtime: Runtime, user_id: str) -> ledger.Balance:
    return await runtime.db.read(lambda conn: ledger.balance(conn, user_id))


def batches_area(runtime: Runtime) -> Batches:
    area = runtime.services["batches"]
    assert isinstance(area, Batches)
    return area


class Finished:
    """Batch ids the runtime's follower has written down as ended."""

    def __init__(self, runtime: Runtime) -> None:
        self.area = batches_area(runtime)
        self.done: dict[str, asyncio.Event] = {}

    def event(self, batch_id: str) -> asyncio.Event:
        return self.done.setdefault(batch_id, asyncio.Event())

    async def _record(self, batch_id: str) -> None:
        self.event(batch_id).set()

    async def __aenter__(self) -> Finished:
        self.area.on_finished.append(self._record)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.area.on_finished.remove(self._record)

    async def wait(self, batch_id: str) -> None:
        await asyncio.wait_for(self.event(batch_id).wait(), 30)
