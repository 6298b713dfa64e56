"""A distributed deployment on this machine for the distributed_* benches, and the bare
Celery baseline on the same broker.

- the machine's PostgreSQL: a fresh database per run, dropped at the end;
- the machine's Redis: database 12 (the tests use 13), a key prefix, queue names and an
  events channel of this run only, so parallel runs share nothing; the run's keys (the
  bare tasks' results, kombu's bookkeeping) are deleted at the end;
- an API node: ``pictor serve --no-worker`` (uvicorn, one process) in a subprocess;
- worker nodes: ``pictor worker --concurrency N`` subprocesses (prefork pool);
- the bare baseline: ``celery worker`` with the app of :mod:`distributed_bare` (one
  trivial task) with pictor's own Celery settings plus a Redis result backend.

Only processes started here are ever stopped (by pid / process group).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from common import ADMIN_KEY, BENCH, PLUGIN, ROOT, free_port

REDIS_DB = 12
BROKER = f"redis://127.0.0.1:6379/{REDIS_DB}"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
BIN = Path(sys.executable).parent


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"pictor_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        conn = await asyncpg.connect(f"{POSTGRES}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def run_names() -> dict[str, str]:
    run = uuid.uuid4().hex[:10]
    return {
        "prefix": f"pictor-bench-{run}:",
        "interactive": f"pictor-bench-{run}.interactive",
        "batch": f"pictor-bench-{run}.batch",
        "bare": f"pictor-bench-{run}.bare",
        "channel": f"pictor-bench-{run}:events",
    }


def drop_run_keys(names: dict[str, str]) -> None:
    """Delete the run's keys from Redis (everything under its prefix)."""
    import redis

    client = redis.Redis.from_url(BROKER)
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=names["prefix"] + "*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


def pictor_env(database_url: str, names: dict[str, str], data_dir: Path) -> dict[str, str]:
    """Settings of every node (API and workers), as a deployment gives them: env vars."""
    return {
        "PICTOR_ENV": "test",
        "PICTOR_DATA_DIR": str(data_dir),
        "PICTOR_DATABASE_URL": database_url,
        "PICTOR_BROKER_URL": BROKER,
        "PICTOR_BROKER_INTERACTIVE_QUEUE": names["interactive"],
        "PICTOR_BROKER_BATCH_QUEUE": names["batch"],
        "PICTOR_BROKER_TRANSPORT_OPTIONS": json.dumps({"global_keyprefix": names["prefix"]}),
        "PICTOR_EVENTS_CHANNEL": names["channel"],
        "PICTOR_SECURITY_SECRET_KEY": "bench-secret-" + names["prefix"],
        "PICTOR_ADMIN_API_KEY": ADMIN_KEY,
        "PICTOR_ADMIN_EMAIL": "bench@example.com",
        "PICTOR_CREDITS_SIGNUP_GRANT": "1000000000",
        "PICTOR_PLUGINS": json.dumps([PLUGIN]),
        "PICTOR_LOG_JSON": "false",
        "PICTOR_LOG_LEVEL": "WARNING",
        "PYTHONPATH": f"{ROOT / 'src'}:{BENCH}",
    }


class Process:
    """A subprocess in its own process group; ``ready_line`` in its output means ready."""

    def __init__(self, argv: list[str], env: dict[str, str], ready_line: str) -> None:
        self.argv = argv
        self.lines: list[str] = []
        self._ready_line = ready_line
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if self._ready_line in line:
                self._ready.set()
        self._ready.set()

    def wait_ready(self, timeout_s: float = 90) -> None:
        self._ready.wait(timeout_s)
        if self.proc.poll() is not None or not self._ready.is_set():
            tail = "\n".join(self.lines[-30:])
            raise RuntimeError(f"{self.argv[:3]} did not start:\n{tail}")

    def pids(self) -> list[int]:
        """The process and its pool children (same process group)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) == self.proc.pid:
                        found.append(int(entry.name))
                except (ProcessLookupError, PermissionError):
                    continue
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def api_node(env: dict[str, str]) -> tuple[Process, str]:
    port = free_port()
    argv = [str(BIN / "pictor"), "serve", "--no-worker", "--host", "127.0.0.1"]
    proc = Process([*argv, "--port", str(port)], env, "listening on")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # a start-up poll in a bench
        if proc.proc.poll() is not None:
            raise RuntimeError("api node exited:\n" + "\n".join(proc.lines[-30:]))
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.stop()
    raise TimeoutError("api node not ready")


def pictor_worker(env: dict[str, str], concurrency: int, name: str) -> Process:
    argv = [str(BIN / "pictor"), "worker", f"--concurrency={concurrency}", "--loglevel=INFO"]
    argv.append(f"--hostname={name}@%h")
    return Process(argv, env, " ready.")


def pictor_workers(
    env: dict[str, str], processes: int, name: str, threads: int = 0
) -> list[Process]:
    """``processes`` worker processes: one prefork node with that many pool processes
    (``threads`` 0), or that many ``--pool=threads`` nodes running ``threads`` jobs each
    on their process's event loop."""
    if not threads:
        return [pictor_worker(env, processes, name)]
    argv = [str(BIN / "pictor"), "worker", f"--concurrency={threads}", "--pool=threads"]
    return [
        Process([*argv, "--loglevel=INFO", f"--hostname={name}-{i}@%h"], env, " ready.")
        for i in range(processes)
    ]


def bare_env(names: dict[str, str]) -> dict[str, str]:
    return {
        "BARE_BROKER": BROKER,
        "BARE_QUEUE": names["bare"],
        "BARE_PREFIX": names["prefix"],
        "PYTHONPATH": f"{ROOT / 'src'}:{BENCH}",
    }


def bare_worker(names: dict[str, str], concurrency: int, name: str) -> Process:
    argv = [
        str(BIN / "celery"),
        "-A",
        "distributed_bare",
        "worker",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        f"--queues={names['bare']}",
        "--prefetch-multiplier=1",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
        f"--hostname={name}@%h",
    ]
    return Process(argv, bare_env(names), " ready.")


@contextmanager
def running(*procs: Process) -> Iterator[None]:
    try:
        for p in procs:
            p.wait_ready()
        yield
    finally:
        for p in procs:
            p.stop()


def cpu_of(procs: list[Process]) -> float:
    """CPU seconds used so far by these processes and their pool children."""
    from common import cpu_seconds

    total = 0.0
    for p in procs:
        for pid in p.pids():
            try:
                total += cpu_seconds(pid)
            except OSError:
                continue
    return total


def set_bare_env(names: dict[str, str]) -> None:
    """Let this process import distributed_bare with the run's broker and queue."""
    os.environ.update(bare_env(names))


def events_bus(names: dict[str, str]) -> Any:
    """A bus on the run's channel: the bench watches final events like another node."""
    from pictor.jobs.events_redis import RedisEventBus

    return RedisEventBus(BROKER, channel=names["channel"], name=f"bench-{os.getpid()}")
