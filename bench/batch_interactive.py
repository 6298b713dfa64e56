"""Interactive job start latency while a 1,000-item batch runs, against no batch, same run.

Run: ``.venv/bin/python bench/batch_interactive.py [--quick] [--item-ms 100]``

In-process, as ``bench_jobs.py`` part 1 (httpx ASGITransport → the app; the runtime's
workers and process pool in the same event loop), ``PICTOR_WORKER_CONCURRENCY=2``. Each
scenario gets a fresh runtime and database:

- **no batch**: N ``bench_noop`` jobs, one at a time, each after a random pause of up to one
  batch item's time; the start latency is POST → the job's ``running`` event;
- **batch, reserve 1** (the default): the same, while a 1,000-item batch of ``bench_busy``
  items (each spinning a pool process for ``--item-ms``) runs; batch items may take one
  worker of two, the other stays free for interactive jobs;
- **batch, reserve 0**: the same with ``PICTOR_BATCHES_RESERVED_WORKERS=0``: batch items take
  both workers, interactive jobs only go first in the queue (they wait for an item to end).

Also printed: the ``POST /v1/batches`` of 1,000 items, a ``GET`` of the batch, its cancel.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

import common
from pictor.accounts.models import User
from pictor.api.app import create_app
from pictor.config import Settings
from pictor.credits import ledger
from pictor.jobs.events import EventBus
from pictor.runtime import Runtime, build_runtime

NOOP = {"kind": "bench_noop", "input": []}
BATCH_SIZE = 1000


class Starts:
    """When each job's ``running`` and final events are published (a bus subscriber)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.running: dict[str, asyncio.Future[float]] = {}
        self.final: dict[str, asyncio.Future[float]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def _future(self, table: dict[str, asyncio.Future[float]], job_id: str) -> Any:
        if job_id not in table:
            table[job_id] = asyncio.get_running_loop().create_future()
        return table[job_id]

    async def started(self, job_id: str) -> float:
        return float(await asyncio.wait_for(self._future(self.running, job_id), 120))

    async def ended(self, job_id: str) -> float:
        return float(await asyncio.wait_for(self._future(self.final, job_id), 120))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._pump())
        await self._ready.wait()

    async def _pump(self) -> None:
        async with self.bus.subscribe(None) as queue:
            self._ready.set()
            while True:
                event = await queue.get()
                now = time.perf_counter()
                table = self.running if event.type == "running" else None
                if event.is_final:
                    table = self.final
                if table is not None:
                    future = self._future(table, event.job_id)
                    if not future.done():
                        future.set_result(now)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def fund_admin(rt: Runtime) -> None:
    """Enough credits for the bench's jobs (the admin starts with the signup grant)."""
    email = rt.settings.admin.email

    def fund(conn: Any) -> None:
        admin_id = conn.execute(select(User.id).where(User.email == email)).scalar_one()
        ledger.open_account(conn, admin_id, 0)
        ledger.credit(
            conn, admin_id, 10_000_000, entry="adjustment", cause_type="admin", cause_id="bench"
        )

    await rt.db.write(fund)


async def scenario(
    data_dir: Path, label: str, *, batch: bool, reserved: int, n: int, item_ms: float
) -> list[float]:
    settings = Settings.model_validate(
        common.settings_dict(
            data_dir,
            log={"level": "WARNING"},
            plugins=[common.PLUGIN, "batch_pipeline"],
            batches={"reserved_workers": reserved},
        )
    )
    rt = build_runtime(settings)
    await rt.start()
    await fund_admin(rt)
    starts = Starts(rt.bus)
    await starts.start()
    transport = httpx.ASGITransport(app=create_app(runtime=rt))
    headers = common.auth()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            # Warm-up: imports, both pool processes spawned, caches.
            warm = {"items": [{"kind": "bench_busy", "params": {"ms": 1}} for _ in range(4)]}
            r = await client.post("/v1/batches", json=warm, headers=headers)
            r.raise_for_status()
            for _ in range(20):
                await one_job(client, starts, headers)
            batch_id = None
            if batch:
                item = {"kind": "bench_busy", "params": {"ms": item_ms}}
                body = {"items": [item] * BATCH_SIZE}
                t0 = time.perf_counter()
                r = await client.post("/v1/batches", json=body, headers=headers)
                post_s = time.perf_counter() - t0
                r.raise_for_status()
                batch_id = r.json()["id"]
                first = await client.get(f"/v1/batches/{batch_id}/items?limit=1", headers=headers)
                await starts.started(first.json()["data"][0]["job_id"])
                print(f"  POST /v1/batches ({BATCH_SIZE} items)      {post_s * 1e3:8.1f} ms")
            samples = []
            for _ in range(n):
                await asyncio.sleep(random.uniform(0, item_ms / 1000))
                samples.append(await one_job(client, starts, headers))
            if batch_id is not None:
                t0 = time.perf_counter()
                view = (await client.get(f"/v1/batches/{batch_id}", headers=headers)).json()
                get_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                r = await client.post(f"/v1/batches/{batch_id}/cancel", headers=headers)
                cancel_s = time.perf_counter() - t0
                counts = view["counts"]
                print(f"  GET /v1/batches/{{id}}                  {get_s * 1e3:8.1f} ms")
                print(
                    f"  cancel ({r.json()['counts']['canceled']} queued items)"
                    f"          {cancel_s * 1e3:8.1f} ms"
                )
                print(
                    f"  batch items done meanwhile: {counts['succeeded']}"
                    f" (running {counts['running']})"
                )
    finally:
        await starts.stop()
        await rt.stop()
    print(f"{label:<34} start {common.summary_ms(samples)}")
    return samples


async def one_job(client: httpx.AsyncClient, starts: Starts, headers: dict[str, str]) -> float:
    """POST one interactive job; seconds until its ``running`` event (waits for its end)."""
    t0 = time.perf_counter()
    r = await client.post("/v1/jobs", json=NOOP, headers=headers)
    r.raise_for_status()
    job_id = r.json()["id"]
    started = await starts.started(job_id)
    await starts.ended(job_id)
    return started - t0


async def main_async(n: int, item_ms: float) -> None:
    with tempfile.TemporaryDirectory(prefix="pictor-bench-batch-") as tmp:
        root = Path(tmp)
        print(f"\n== interactive bench_noop start latency, {n} jobs, batch items {item_ms:g} ms ==")
        await scenario(
            root / "a", "no batch (baseline)", batch=False, reserved=1, n=n, item_ms=item_ms
        )
        await scenario(
            root / "b", "1,000-item batch, reserve 1", batch=True, reserved=1, n=n, item_ms=item_ms
        )
        await scenario(
            root / "c", "1,000-item batch, reserve 0", batch=True, reserved=0, n=n, item_ms=item_ms
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer interactive jobs")
    parser.add_argument("--item-ms", type=float, default=100.0, help="CPU time of a batch item")
    args = parser.parse_args()
    n = 40 if args.quick else 150
    print(f"load average at start: {common.load_average()} (2 cores; other work skews wall time)")
    asyncio.run(main_async(n, args.item_ms))
    print(f"\nload average at end: {common.load_average()}")


if __name__ == "__main__":
    main()
