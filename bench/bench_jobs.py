"""Job overhead, job throughput and GET /v1/jobs/{id} speed, each against a baseline.

Run: ``.venv/bin/python bench/bench_jobs.py [--quick]`` (needs ``wrk``: apt-get install wrk)

Part 1, in-process (httpx ASGITransport → the FastAPI app; the runtime's in-process
workers and process pool run in the same event loop, as under ``pictor serve``):

- sequential submit → final-event latency of ``bench_noop`` (no input, no work: the
  latency *is* the overhead), ``bench_echo`` (64x64 PNG upload in, one process-pool
  round trip, one output out) and ``remove_background`` on a 64x64 PNG minus its own
  ``cut_out`` time measured here on the same bytes;
- sustained throughput: N ``bench_noop`` jobs posted by C concurrent clients, until the
  last one's final event;
- baselines: ``GET /health`` through the same stack, a bare SQLite write transaction
  (insert + update) through the same ``Database``.

Part 2, live: uvicorn in a subprocess (one process), load from ``wrk`` (another process):
``GET /v1/jobs/{id}`` vs a bare route on the same app, and ``POST /v1/jobs`` throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

import common
from pictor.api.app import create_app
from pictor.config import Settings
from pictor.jobs.events import EventBus
from pictor.pipelines.remove_background import RemoveBackgroundParams, cut_out
from pictor.runtime import Runtime, build_runtime

NOOP = {"kind": "bench_noop", "input": []}
#: CPU seconds of this process (every thread) per job in the last sequential run, by kind.
CPU_PER_JOB: dict[str, float] = {}


class Finishes:
    """Records when each job's final event is published (a subscriber to all jobs)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._futures: dict[str, asyncio.Future[tuple[float, str]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def future(self, job_id: str) -> asyncio.Future[tuple[float, str]]:
        if job_id not in self._futures:
            self._futures[job_id] = asyncio.get_running_loop().create_future()
        return self._futures[job_id]

    async def wait(self, job_id: str, timeout_s: float = 60.0) -> float:
        when, status = await asyncio.wait_for(self.future(job_id), timeout_s)
        del self._futures[job_id]
        if status != "succeeded":
            raise RuntimeError(f"job {job_id} ended {status}")
        return when

    async def start(self) -> None:
        self._task = asyncio.create_task(self._pump())
        await asyncio.wait_for(self._ready.wait(), 5)

    async def _pump(self) -> None:
        async with self.bus.subscribe(None) as queue:
            self._ready.set()
            while True:
                event = await queue.get()
                if event.is_final:
                    fut = self.future(event.job_id)
                    if not fut.done():
                        fut.set_result((time.perf_counter(), event.type))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def timed_requests(client: httpx.AsyncClient, path: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = await client.get(path)
        samples.append(time.perf_counter() - t0)
        r.raise_for_status()
    return samples


async def sqlite_write_txn(rt: Runtime, n: int) -> list[float]:
    """The unit of a job's cost: one write transaction (insert + update) on the same DB."""
    async with rt.db.session() as s:
        await s.execute(
            text("CREATE TABLE IF NOT EXISTS bench_scratch (id INTEGER PRIMARY KEY, v INT)")
        )
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        async with rt.db.session() as s:
            await s.execute(text("INSERT INTO bench_scratch (v) VALUES (:v)"), {"v": i})
            await s.execute(text("UPDATE bench_scratch SET v = v + 1 WHERE v = :v"), {"v": i})
        samples.append(time.perf_counter() - t0)
    return samples


async def job_latency(
    client: httpx.AsyncClient, finishes: Finishes, body: dict[str, Any], n: int
) -> tuple[list[float], list[float]]:
    """Sequential jobs: (submit → final event, submit → 201 response) per job, seconds."""
    total, post = [], []
    cpu0 = time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        r = await client.post("/v1/jobs", json=body, headers=common.auth())
        t1 = time.perf_counter()
        if r.status_code != 201:
            raise RuntimeError(f"{r.status_code}: {r.text}")
        done = await finishes.wait(r.json()["id"])
        total.append(done - t0)
        post.append(t1 - t0)
    CPU_PER_JOB[body["kind"]] = (time.process_time() - cpu0) / n
    return total, post


async def concurrent(client: httpx.AsyncClient, n: int, clients: int, send: Any) -> float:
    """Run ``send(client)`` n times from ``clients`` concurrent tasks; returns elapsed s."""
    left = iter(range(n))

    async def one_client() -> None:
        for _ in left:
            await send(client)

    t0 = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return time.perf_counter() - t0


async def job_throughput(
    client: httpx.AsyncClient, finishes: Finishes, n: int, clients: int
) -> tuple[float, float]:
    """(jobs/s until the last final event, POSTs/s) for n no-op jobs from C clients."""
    ids: list[str] = []

    async def send(c: httpx.AsyncClient) -> None:
        r = await c.post("/v1/jobs", json=NOOP, headers=common.auth())
        r.raise_for_status()
        ids.append(r.json()["id"])

    t0, cpu0 = time.perf_counter(), time.process_time()
    submit_s = await concurrent(client, n, clients, send)
    last = max([await finishes.wait(job_id) for job_id in ids])
    CPU_PER_JOB["throughput"] = (time.process_time() - cpu0) / n
    return n / (last - t0), n / submit_s


async def upload(client: httpx.AsyncClient, data: bytes) -> str:
    files = {"file": ("bench.png", data, "image/png")}
    r = await client.post("/v1/uploads", files=files, headers=common.auth())
    r.raise_for_status()
    upload_id: str = r.json()["id"]
    return upload_id


def pipeline_own_time(rt: Runtime, data: bytes, n: int) -> list[float]:
    """remove_background's CPU function on the same bytes, in this process."""
    params = RemoveBackgroundParams()
    segmenter = rt.engines.segmenter(params.engine)
    samples = []
    for _ in range(n + 3):
        t0 = time.perf_counter()
        cut_out(data, params, segmenter, rt.image_limits)
        samples.append(time.perf_counter() - t0)
    return samples[3:]


async def in_process(data_dir: Path, n_seq: int, n_tp: int, clients: int) -> None:
    settings = Settings.model_validate(common.settings_dict(data_dir, log={"level": "WARNING"}))
    rt = build_runtime(settings)
    await rt.start()
    finishes = Finishes(rt.bus)
    await finishes.start()
    transport = httpx.ASGITransport(app=create_app(runtime=rt))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await _in_process_figures(rt, client, finishes, n_seq, n_tp, clients)
    finally:
        await finishes.stop()
        await rt.stop()


async def _in_process_figures(
    rt: Runtime, client: httpx.AsyncClient, finishes: Finishes, n_seq: int, n_tp: int, clients: int
) -> None:
    tiny = common.png_bytes(64, 64, noise=0.0)
    photo = common.png_bytes(64, 64, noise=0.05)
    echo = {"kind": "bench_echo", "input": {"upload_id": await upload(client, tiny)}}
    rb = {"kind": "remove_background", "input": {"upload_id": await upload(client, photo)}}
    await job_latency(client, finishes, NOOP, 20)  # warm-up: imports, pool start, caches
    await job_latency(client, finishes, echo, 5)
    await job_latency(client, finishes, rb, 5)

    print("\n== 1a. in-process (httpx ASGITransport), sequential, one client ==")
    health = await timed_requests(client, "/health", n_seq)
    print(f"baseline GET /health               {common.summary_ms(health)}")
    txn = await sqlite_write_txn(rt, n_seq)
    print(f"baseline SQLite write txn (ins+upd)  {common.summary_ms(txn)}")
    noop, noop_post = await job_latency(client, finishes, NOOP, n_seq)
    print(f"bench_noop submit→succeeded        {common.summary_ms(noop)}   [goal p50 ≤ 5 ms]")
    print(f"  of which POST /v1/jobs → 201     {common.summary_ms(noop_post)}")
    print(f"  CPU per job (this process)       {CPU_PER_JOB['bench_noop'] * 1e3:7.2f} ms")
    echo_t, _ = await job_latency(client, finishes, echo, n_seq)
    print(f"bench_echo (64x64, pool hop)       {common.summary_ms(echo_t)}")
    n_rb = max(10, n_seq // 3)
    rb_t, _ = await job_latency(client, finishes, rb, n_rb)
    own = pipeline_own_time(rt, photo, n_rb)
    print(f"remove_background 64x64            {common.summary_ms(rb_t)}")
    print(f"  cut_out() alone, same bytes      {common.summary_ms(own)}")
    over = statistics.median(rb_t) - statistics.median(own)
    print(f"  overhead = p50 job - p50 cut_out {over * 1e3:7.2f} ms")

    print(f"\n== 1a. in-process throughput: {n_tp} jobs, {clients} concurrent clients ==")
    base_s = await concurrent(client, n_tp, clients, lambda c: c.get("/health"))
    print(f"baseline GET /health               {n_tp / base_s:8.0f} req/s")
    done_rate, post_rate = await job_throughput(client, finishes, n_tp, clients)
    print(f"bench_noop submitted               {post_rate:8.0f} POST/s")
    print(f"bench_noop succeeded               {done_rate:8.0f} jobs/s   [goal ≥ 200 jobs/s]")
    cpu = CPU_PER_JOB["throughput"]
    print(f"  CPU per job {cpu * 1e3:.2f} ms → at most {1 / cpu:.0f} jobs/s on one core")


def server_load(
    srv: common.Server, url: str, headers: dict[str, str], conns: int, seconds: float
) -> dict[str, float]:
    """wrk figures plus the server's own CPU seconds per request."""
    cpu0 = common.cpu_seconds(srv.proc.pid)
    result = common.wrk(url, headers, conns, seconds)
    result["cpu_per_req"] = (common.cpu_seconds(srv.proc.pid) - cpu0) / result["requests"]
    return result


def wrk_line(label: str, r: dict[str, float]) -> str:
    p50, p99 = r["p50"] * 1e3, r["p99"] * 1e3
    return f"{label:<36}{r['rps']:8.0f} req/s  p50 {p50:.2f} ms  p99 {p99:.2f} ms"


def live(data_dir: Path, seconds: float, conns: int) -> None:
    settings = common.settings_dict(data_dir)
    with common.server(settings, data_dir / "server.log") as srv:
        r = httpx.post(
            srv.url + "/v1/jobs", json=NOOP, headers={**common.auth(), "Prefer": "wait=10"}
        )
        job_url = f"{srv.url}/v1/jobs/{r.json()['id']}"
        bare_url = srv.url + "/bench/bare"
        print(f"\n== 1b. live uvicorn (1 process) + wrk -t1 -c{conns} -d{seconds:g}s, loopback ==")
        common.wrk(bare_url, {}, conns, 1)  # warm-up
        common.wrk(job_url, common.auth(), conns, 1)
        bare, job = [], []
        for _ in range(2):  # interleaved rounds; the best of each
            bare.append(server_load(srv, bare_url, {}, conns, seconds))
            job.append(server_load(srv, job_url, common.auth(), conns, seconds))
        b = max(bare, key=lambda x: x["rps"])
        j = max(job, key=lambda x: x["rps"])
        print(wrk_line("baseline GET /bench/bare (same app)", b))
        print(wrk_line("GET /v1/jobs/{id}", j))
        print(f"ratio                               {j['rps'] / b['rps']:8.1%}   [goal ≥ 50 %]")
        cpu_ratio = b["cpu_per_req"] / j["cpu_per_req"]
        print(
            f"  server CPU per request: bare {b['cpu_per_req'] * 1e3:.2f} ms, job"
            f" {j['cpu_per_req'] * 1e3:.2f} ms (ratio {cpu_ratio:.1%}, load-independent)"
        )
        if j["non2xx"] or b["non2xx"]:
            print(f"  WARNING non-2xx: job {j['non2xx']:.0f}, bare {b['non2xx']:.0f}")
        live_throughput(srv, seconds, conns)


def live_throughput(srv: common.Server, seconds: float, conns: int) -> None:
    """POST /v1/jobs from wrk for ``seconds``; then wait until no job is queued or running."""
    t0 = time.perf_counter()
    cpu0 = common.cpu_seconds(srv.proc.pid)
    post = common.wrk(srv.url + "/v1/jobs", common.auth(), conns, seconds, lua=common.WRK_POST)
    with httpx.Client(base_url=srv.url, headers=common.auth()) as c:
        while any(
            c.get("/v1/jobs", params={"status": s, "limit": 1}).json()["data"]
            for s in ("queued", "running")
        ):
            time.sleep(0.02)  # a completion poll in a bench, not a test synchronisation
    elapsed = time.perf_counter() - t0
    cpu = (common.cpu_seconds(srv.proc.pid) - cpu0) / post["requests"]
    print(wrk_line("POST /v1/jobs (bench_noop, wrk)", post))
    print(
        f"  all {post['requests']:.0f} succeeded after {elapsed:.1f} s:"
        f" {post['requests'] / elapsed:.0f} jobs/s   [goal ≥ 200 jobs/s]"
    )
    print(f"  server CPU per job {cpu * 1e3:.2f} ms → at most {1 / cpu:.0f} jobs/s on one core")
    if post["non2xx"]:
        print(f"  WARNING non-2xx: {post['non2xx']:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs, shorter loads")
    args = parser.parse_args()
    n_seq, n_tp, clients, seconds = (60, 300, 16, 3.0) if args.quick else (300, 2000, 32, 10.0)
    print(f"load average at start: {common.load_average()} (2 cores; other work skews wall time)")
    with tempfile.TemporaryDirectory(prefix="pictor-bench-") as tmp:
        asyncio.run(in_process(Path(tmp) / "inproc", n_seq, n_tp, clients))
        live(Path(tmp) / "live", seconds, 32)
    print(f"\nload average at end: {common.load_average()}")


if __name__ == "__main__":
    main()
