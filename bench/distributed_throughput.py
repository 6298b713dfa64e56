"""Throughput of tiny jobs in distributed mode with 1, 2 and 4 worker processes, beside
a bare Celery task's throughput with the same worker counts on the same broker.

Deployment as in distributed_overhead.py (API node, ``pictor worker``, the machine's
Redis and a fresh PostgreSQL database). For each worker count N:

- **pictor drain**: M ``bench_noop`` jobs are submitted through the API while no worker
  runs (they wait in the broker), then ``pictor worker --concurrency N`` starts and
  runs them all. Rate = jobs finished between the 10th and the 90th percentile of the
  rows' ``finished_at`` / that time (start-up and the tail left out).
- **bare drain**: M ``bare_noop`` tasks sent, then ``celery worker --concurrency N``
  (pictor's delivery settings, a Redis result backend); the same rate from the times
  the task returns.

Then **end to end** with N = 2: workers running, M jobs posted by 16 concurrent clients
through the API; jobs/s from the first POST to the last ``succeeded`` row (the API node
shares the two cores with the workers, PostgreSQL and Redis).

    .venv/bin/python bench/distributed_throughput.py [--jobs 1000] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx

from common import auth, load_average
from distributed_common import (
    Process,
    api_node,
    bare_worker,
    cpu_of,
    drop_run_keys,
    fresh_database,
    pictor_env,
    pictor_workers,
    run_names,
    set_bare_env,
)

NOOP = {"kind": "bench_noop", "input": []}
CLIENTS = 16


def middle_rate(times: list[float]) -> float:
    """Jobs per second between the 10th and 90th percentile of completion times."""
    ordered = sorted(times)
    lo, hi = round(0.1 * (len(ordered) - 1)), round(0.9 * (len(ordered) - 1))
    return (hi - lo) / (ordered[hi] - ordered[lo])


async def submit(client: httpx.AsyncClient, count: int) -> list[str]:
    ids: list[str] = []
    gate = asyncio.Semaphore(CLIENTS)

    async def one() -> None:
        async with gate:
            response = await client.post("/v1/jobs", json=NOOP)
            assert response.status_code in (200, 201, 202), response.text
            ids.append(response.json()["id"])

    await asyncio.gather(*(one() for _ in range(count)))
    return ids


async def wait_succeeded(db: asyncpg.Connection, ids: list[str], timeout_s: float) -> list[float]:
    """Poll (a bench, not a test) until every job succeeded; their finish times (epoch s)."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = await db.fetch(
            "SELECT status, finished_at FROM jobs WHERE id = ANY($1::text[])", ids
        )
        done = [r for r in rows if r["status"] in ("succeeded", "failed", "canceled")]
        if len(done) == len(ids):
            failed = [r for r in done if r["status"] != "succeeded"]
            assert not failed, f"{len(failed)} jobs did not succeed"
            return [_epoch(r["finished_at"]) for r in done]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(done)}/{len(ids)} jobs done after {timeout_s}s")
        await asyncio.sleep(0.2)


def _epoch(value: datetime) -> float:
    return value.timestamp()


async def pictor_drain(
    env: dict[str, str],
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    n: int,
    jobs: int,
    threads: int,
) -> dict[str, float]:
    ids = await submit(client, jobs)
    workers = pictor_workers(env, n, f"bench-drain-{n}", threads)
    try:
        for worker in workers:
            worker.wait_ready()
        cpu0 = cpu_of(workers)
        times = await wait_succeeded(db, ids, 600)
        cpu = cpu_of(workers) - cpu0
    finally:
        for worker in workers:
            worker.stop()
    return {"rate": middle_rate(times), "cpu_ms": cpu / jobs * 1e3}


def bare_drain(names: dict[str, str], n: int, jobs: int) -> dict[str, float]:
    from distributed_bare import bare_noop

    results = [bare_noop.delay() for _ in range(jobs)]
    worker = bare_worker(names, n, f"bench-bare-{n}")
    try:
        worker.wait_ready()
        cpu0 = cpu_of([worker])
        times = [float(r.get(timeout=600)) for r in results]
        cpu = cpu_of([worker]) - cpu0
    finally:
        worker.stop()
    return {"rate": middle_rate(times), "cpu_ms": cpu / jobs * 1e3}


async def end_to_end(
    env: dict[str, str],
    api: Process,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
    jobs: int,
    threads: int,
) -> dict[str, float]:
    workers = pictor_workers(env, 2, "bench-e2e", threads)
    try:
        for worker in workers:
            worker.wait_ready()
        await submit(client, 20)  # each pool process builds its runtime
        await asyncio.sleep(2)
        cpu0 = cpu_of([api, *workers])
        start = time.time()
        ids = await submit(client, jobs)
        posted = time.time()
        times = await wait_succeeded(db, ids, 600)
        cpu = cpu_of([api, *workers]) - cpu0
    finally:
        for worker in workers:
            worker.stop()
    return {
        "rate": jobs / (max(times) - start),
        "post_rate": jobs / (posted - start),
        "cpu_ms": cpu / jobs * 1e3,
    }


async def main(jobs: int, counts: list[int], threads: int, e2e_only: bool) -> None:
    names = run_names()
    set_bare_env(names)
    print(f"load average at start: {load_average()}")
    data_dir = Path(tempfile.mkdtemp(prefix="pictor-bench-dist-"))
    rows: list[tuple[int, dict[str, float], dict[str, float]]] = []
    async with fresh_database() as database_url:
        env = pictor_env(database_url, names, data_dir)
        api, url = api_node(env)
        db = await asyncpg.connect(database_url)
        try:
            async with httpx.AsyncClient(base_url=url, headers=auth(), timeout=60) as client:
                for n in [] if e2e_only else counts:
                    pictor = await pictor_drain(env, client, db, n, jobs, threads)
                    bare = bare_drain(names, n, jobs)
                    rows.append((n, pictor, bare))
                    print(
                        f"{n} worker process(es): pictor {pictor['rate']:6.1f} jobs/s"
                        f" ({pictor['cpu_ms']:.2f} ms worker CPU/job);"
                        f" bare celery {bare['rate']:6.1f} tasks/s"
                        f" ({bare['cpu_ms']:.2f} ms/task); load {load_average()}",
                        flush=True,
                    )
                e2e = await end_to_end(env, api, client, db, jobs, threads)
        finally:
            await db.close()
            api.stop()
            drop_run_keys(names)
    print(f"load average at end: {load_average()}")
    print("\n| worker processes | pictor jobs/s (drain) | bare Celery tasks/s | pictor / bare |")
    print("|---|---|---|---|")
    for n, pictor, bare in rows:
        print(
            f"| {n} | {pictor['rate']:.0f} ({pictor['cpu_ms']:.1f} ms CPU/job)"
            f" | {bare['rate']:.0f} ({bare['cpu_ms']:.1f} ms CPU/task)"
            f" | {pictor['rate'] / bare['rate']:.2f} |"
        )
    print(
        f"\nend to end, 2 worker processes, {CLIENTS} clients: {e2e['rate']:.0f} jobs/s"
        f" (POSTs {e2e['post_rate']:.0f}/s; API + worker CPU {e2e['cpu_ms']:.1f} ms/job)"
        " — goal ≥ 150 jobs/s with 2"
    )


def _counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=_counts, default=[1, 2, 4])
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="run each worker process as a --pool=threads node of this many jobs at once"
        " (0: one prefork node, one job per pool process)",
    )
    parser.add_argument("--e2e-only", action="store_true", help="skip the drains")
    args = parser.parse_args()
    asyncio.run(main(args.jobs, args.workers, args.threads, args.e2e_only))
