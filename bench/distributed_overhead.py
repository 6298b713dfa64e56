"""Job overhead in distributed mode against a bare Celery task round trip, same broker.

pictor: an API node (``pictor serve --no-worker``) and one ``pictor worker
--concurrency 1`` on the machine's Redis (broker and event bus) and PostgreSQL (a fresh
database). One round = ``POST /v1/jobs`` of ``bench_noop`` (no work) until its
``succeeded`` event reaches this process through the Redis event bus (this process
subscribes like another API node would, so the time includes the API, the broker hop,
the worker's claim and finish transactions on PostgreSQL and the pub/sub hop back).

bare: one ``celery worker --concurrency 1`` (prefork, pictor's delivery settings: late
ack, prefetch 1, JSON) on the same Redis; one round = ``bare_noop.delay().get()`` with a
Redis result backend (``get`` waits on Redis pub/sub: the same way back as pictor's
event). Rounds alternate pictor / bare, so both see the same machine load.

job layer: the same job from the same kind of entry point as ``delay()``: this process
submits through pictor's job layer as an API node does after parsing the request
(``Runtime.submit_job``: the row, its reservation and its ``queued`` event in one
statement, then ``CeleryQueue.enqueue``), and waits for the ``succeeded`` event on the
bus: pictor's job overhead (durable record, claim, finish, events) without the HTTP
request, which the bare round has no counterpart of. These rounds follow the HTTP
ones, again alternating with bare rounds.

``--prefer-wait N`` adds N rounds the way a client without a bus of its own sees a job:
``POST /v1/jobs`` with ``Prefer: wait=30``, answered by the API node once the job's
final event reached it (worker → Redis → API node → client), again alternating with
bare rounds.

    .venv/bin/python bench/distributed_overhead.py [--rounds 300] [--warmup 30]
        [--prefer-wait 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from common import auth, load_average, pct, summary_ms
from distributed_common import (
    api_node,
    bare_worker,
    cpu_of,
    drop_run_keys,
    events_bus,
    fresh_database,
    pictor_env,
    pictor_worker,
    run_names,
    running,
    set_bare_env,
)
from noop_pipeline import NoParams
from pictor.config import Settings
from pictor.jobs.service import Submission
from pictor.runtime import build_runtime

NOOP = {"kind": "bench_noop", "input": []}


async def pictor_round(client: httpx.AsyncClient, live: asyncio.Queue[Any]) -> tuple[float, float]:
    """(submit → succeeded seen, POST alone), seconds."""
    t0 = time.perf_counter()
    response = await client.post("/v1/jobs", json=NOOP)
    t_post = time.perf_counter() - t0
    assert response.status_code in (200, 201, 202), response.text
    job_id = response.json()["id"]
    while True:
        event = await asyncio.wait_for(live.get(), timeout=30)
        if event.job_id == job_id and event.is_final:
            assert event.type == "succeeded", event
            return time.perf_counter() - t0, t_post


async def job_layer_round(runtime: Any, owner_id: str, live: asyncio.Queue[Any]) -> float:
    """Submit through the job layer and enqueue, until ``succeeded`` is seen, seconds."""
    t0 = time.perf_counter()
    sub = Submission(kind="bench_noop", upload_ids=[], params=NoParams())
    job = (await runtime.submit_job(owner_id, sub)).job
    await runtime.queue.enqueue(job.id, kind=job.kind, attempts=job.attempts)
    while True:
        event = await asyncio.wait_for(live.get(), timeout=30)
        if event.job_id == job.id and event.is_final:
            assert event.type == "succeeded", event
            return time.perf_counter() - t0


async def job_layer(env: dict[str, str]) -> Any:
    """A pictor runtime in this process with the nodes' settings, running nothing: the
    job layer an API node submits through."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("PICTOR_")})
    runtime = build_runtime(Settings(), run_workers=False, reconcile=False, run_services=False)
    await runtime.start(migrate=False)
    return runtime


async def prefer_wait_round(client: httpx.AsyncClient) -> float:
    """POST with ``Prefer: wait``: the answer comes once the job ended, seconds."""
    t0 = time.perf_counter()
    response = await client.post("/v1/jobs", json=NOOP, headers={"Prefer": "wait=30"})
    elapsed = time.perf_counter() - t0
    assert response.status_code == 201 and response.json()["status"] == "succeeded", response.text
    return elapsed


def bare_round(task: Any) -> float:
    t0 = time.perf_counter()
    task.delay().get(timeout=30)
    return time.perf_counter() - t0


async def stage_times(database_url: str) -> dict[str, list[float]]:
    """Server-side splits from the rows: created → started (API commit, broker, claim)
    and started → finished (the runner's attempt), seconds."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT created_at, started_at, finished_at FROM jobs WHERE status = 'succeeded'"
        )
    finally:
        await conn.close()
    return {
        "queued": [(r["started_at"] - r["created_at"]).total_seconds() for r in rows],
        "running": [(r["finished_at"] - r["started_at"]).total_seconds() for r in rows],
    }


async def prefer_wait_rounds(
    client: httpx.AsyncClient, task: Any, rounds: int
) -> tuple[list[float], list[float]]:
    waits: list[float] = []
    bares: list[float] = []
    for i in range(rounds):
        if i % 2:
            bares.append(bare_round(task))
        waits.append(await prefer_wait_round(client))
        if not i % 2:
            bares.append(bare_round(task))
    return waits, bares


async def main(rounds: int, warmup: int, waits: int) -> None:
    names = run_names()
    set_bare_env(names)
    from distributed_bare import bare_noop

    print(f"load average at start: {load_average()}")
    data_dir = Path(tempfile.mkdtemp(prefix="pictor-bench-dist-"))
    async with fresh_database() as database_url:
        env = pictor_env(database_url, names, data_dir)
        api, url = api_node(env)
        worker = pictor_worker(env, 1, "bench-pictor")
        bare = bare_worker(names, 1, "bench-bare")
        bus = events_bus(names)
        runtime = None
        try:
            with running(worker, bare):
                await bus.start()
                runtime = await job_layer(env)
                async with (
                    bus.subscribe(None) as live,
                    httpx.AsyncClient(base_url=url, headers=auth(), timeout=30) as client,
                ):
                    owner_id = (await client.get("/v1/me")).json()["id"]
                    for _ in range(warmup):
                        await pictor_round(client, live)
                        await job_layer_round(runtime, owner_id, live)
                        bare_round(bare_noop)
                    cpu0 = [cpu_of([api]), cpu_of([worker]), cpu_of([bare])]
                    pictor: list[float] = []
                    posts: list[float] = []
                    bares: list[float] = []
                    for i in range(rounds):
                        if i % 2:
                            bares.append(bare_round(bare_noop))
                        total, post = await pictor_round(client, live)
                        pictor.append(total)
                        posts.append(post)
                        if not i % 2:
                            bares.append(bare_round(bare_noop))
                    cpu1 = [cpu_of([api]), cpu_of([worker]), cpu_of([bare])]
                    layer: list[float] = []
                    layer_bares: list[float] = []
                    for i in range(rounds):
                        if i % 2:
                            layer_bares.append(bare_round(bare_noop))
                        layer.append(await job_layer_round(runtime, owner_id, live))
                        if not i % 2:
                            layer_bares.append(bare_round(bare_noop))
                    waited, wait_bares = await prefer_wait_rounds(client, bare_noop, waits)
            stages = await stage_times(env["PICTOR_DATABASE_URL"])
        finally:
            if runtime is not None:
                await runtime.stop()
            await bus.stop()
            api.stop()
            drop_run_keys(names)
    n = float(rounds)
    print(f"load average at end: {load_average()}")
    print(f"pictor noop submit→succeeded seen : {summary_ms(pictor)}")
    print(f"  of which POST /v1/jobs → 201    : {summary_ms(posts)}")
    print(f"  rows: created→started           : {summary_ms(stages['queued'])}")
    print(f"  rows: started→finished          : {summary_ms(stages['running'])}")
    print(f"bare celery delay().get()         : {summary_ms(bares)}")
    ratio50 = pct(pictor, 50) / pct(bares, 50)
    ratio95 = pct(pictor, 95) / pct(bares, 95)
    print(f"ratio pictor / bare: p50 {ratio50:.2f}x  p95 {ratio95:.2f}x  (goal p50 ≤ 1.5x)")
    print(
        "CPU per round: api node {:.2f} ms, pictor worker {:.2f} ms, bare worker {:.2f} ms".format(
            *((after - before) / n * 1e3 for before, after in zip(cpu0, cpu1, strict=True))
        )
    )
    print(f"job layer submit→succeeded seen   : {summary_ms(layer)}")
    print(f"bare celery delay().get() (same)  : {summary_ms(layer_bares)}")
    ratio = pct(layer, 50) / pct(layer_bares, 50)
    print(f"ratio job layer / bare: p50 {ratio:.2f}x  (goal p50 ≤ 1.5x)")
    if waited:
        print(f"pictor POST + Prefer: wait        : {summary_ms(waited)}")
        print(f"bare celery delay().get() (same)  : {summary_ms(wait_bares)}")
        ratio = pct(waited, 50) / pct(wait_bares, 50)
        print(f"ratio Prefer: wait / bare: p50 {ratio:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--prefer-wait", type=int, default=0, metavar="N")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.warmup, args.prefer_wait))
