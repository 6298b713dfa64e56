"""A distributed deployment on this machine: an API node in this process (its queue is
Celery), ``pictor worker`` subprocesses, the machine's PostgreSQL (a fresh database per
test module) and a broker — Redis and RabbitMQ, every test runs on both.

Each run uses its own queue names (and on Redis its own key prefix in a database no
other suite uses), so parallel runs do not share messages. Worker processes run in
their own process group and are always killed at the end of the test that started them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, update
from tests.conftest import (
    POSTGRES_SERVER,
    User,
    create_postgres_database,
    drop_postgres_database,
    new_user,
)
from tests.support.server import ROOT

from pictor.api.app import create_app
from pictor.config import Settings
from pictor.db.base import utcnow
from pictor.jobs.models import Job
from pictor.runtime import Runtime, build_runtime

BROKERS = {
    "redis": "redis://127.0.0.1:6379/13",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}
FINAL = {"succeeded", "failed", "canceled"}
PLUGINS = ["tests.support.plugins", "tests.distributed.plugins"]


class WorkerProcess:
    """``pictor worker`` in its own process group; its output is kept for failures."""

    def __init__(self, env: dict[str, str], args: list[str], name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self._ready = threading.Event()
        exe = Path(sys.executable).with_name("pictor")
        self.proc = subprocess.Popen(
            [str(exe), "worker", f"--hostname={name}@%h", *args],
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
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
            if line.endswith(" ready."):
                self._ready.set()
        self._ready.set()  # exited: wait_ready() reports it

    async def wait_ready(self, timeout_s: float = 60) -> None:
        await asyncio.to_thread(self._ready.wait, timeout_s)
        if self.proc.poll() is not None or not self._ready.is_set():
            raise RuntimeError(f"worker {self.name} did not start:\n" + "\n".join(self.lines))

    async def exit_code(self, timeout_s: float = 60) -> int:
        """Wait for the process to exit by itself; all its output is read then."""
        code = await asyncio.to_thread(self.proc.wait, timeout_s)
        await asyncio.to_thread(self._reader.join, timeout_s)
        return code

    def owns(self, pid: int) -> bool:
        """Whether ``pid`` is one of this worker's processes."""
        try:
            return os.getpgid(pid) == self.proc.pid
        except ProcessLookupError:
            return False

    def kill(self) -> None:
        """kill -9 the whole worker: its main process and its pool processes."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@dataclass
class Cluster:
    broker: str
    env: dict[str, str]
    runtime: Runtime
    client: httpx.AsyncClient
    workers: list[WorkerProcess] = field(default_factory=list)

    async def start_worker(
        self, *args: str, name: str | None = None, env: dict[str, str] | None = None
    ) -> WorkerProcess:
        worker = WorkerProcess(
            {**self.env, **(env or {})}, list(args), name or f"w{len(self.workers)}"
        )
        self.workers.append(worker)
        await worker.wait_ready()
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    async def job(self, user: User, job_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/jobs/{job_id}", headers=user.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def wait_final(self, user: User, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
        """Poll the job (the API node sees the row; worker events stay on the worker)."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = await self.job(user, job_id)
            if job["status"] in FINAL:
                return job
            if time.monotonic() > deadline:
                logs = "\n".join(line for w in self.workers for line in w.lines[-40:])
                raise AssertionError(f"job {job_id} still {job['status']}\n{logs}")
            await asyncio.sleep(0.05)

    async def submit(self, user: User, kind: str, params: dict[str, Any]) -> str:
        body = {"kind": kind, "input": [], "params": params}
        response = await self.client.post("/v1/jobs", json=body, headers=user.headers)
        assert response.status_code in (200, 201, 202), response.text
        return str(response.json()["id"])


async def lose_its_worker(runtime: Runtime, job_id: str) -> None:
    """The job was claimed by a worker that died: running, its lease over."""

    def lost(conn: Connection) -> None:
        conn.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="running", attempts=1, lease_expires_at=utcnow() - timedelta(1))
        )

    await runtime.db.write(lost)


def cluster_env(broker: str, database_url: str, data_dir: Path, secret: str) -> dict[str, str]:
    run = uuid.uuid4().hex[:10]
    options: dict[str, Any] = {}
    if broker == "redis":
        options = {
            "global_keyprefix": f"pictor-test-{run}:",
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
    return {
        "PICTOR_ENV": "test",
        "PICTOR_DATABASE_URL": database_url,
        "PICTOR_BROKER_URL": BROKERS[broker],
        "PICTOR_BROKER_INTERACTIVE_QUEUE": f"pictor-test-{run}.interactive",
        "PICTOR_BROKER_BATCH_QUEUE": f"pictor-test-{run}.batch",
        "PICTOR_BROKER_TRANSPORT_OPTIONS": json.dumps(options),
        "PICTOR_BROKER_TIME_LIMIT_MARGIN_S": "4",
        "PICTOR_DATA_DIR": str(data_dir),
        "PICTOR_SECURITY_SECRET_KEY": secret,
        "PICTOR_PLUGINS": json.dumps(PLUGINS),
        # A worker killed mid-job is noticed by the lease within 18 s on Redis (whose
        # messages wait out the visibility timeout); RabbitMQ redelivers at once. The
        # lease margin is at least twice the time-limit margin.
        "PICTOR_WORKER_TIMEOUTS": json.dumps({"test_block": 10}),
        "PICTOR_WORKER_LEASE_MARGIN_S": "8",
        "PICTOR_WORKER_RECONCILE_INTERVAL_S": "0.5",
        "PICTOR_WORKER_BACKOFF_BASE_S": "0.05",
        "PICTOR_WORKER_BACKOFF_MAX_S": "0.2",
        "PICTOR_LOG_JSON": "false",
    }


def settings_from_env(env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Settings(_env_file=None)  # type: ignore[call-arg]
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module", params=sorted(BROKERS))
async def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    broker = str(request.param)
    db_name = await create_postgres_database()
    data_dir = tmp_path_factory.mktemp(f"distributed-{broker}")
    env = cluster_env(broker, f"{POSTGRES_SERVER}/{db_name}", data_dir, secrets.token_urlsafe(24))
    runtime = build_runtime(settings_from_env(env))
    await runtime.start()
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    client = httpx.AsyncClient(transport=transport, base_url="http://pictor.test")
    cluster = Cluster(broker, env, runtime, client)
    try:
        yield cluster
    finally:
        cluster.stop_workers()
        await client.aclose()
        await runtime.stop()
        await drop_postgres_database(db_name)


@pytest.fixture
def workers(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster, with every worker a test starts killed when it ends."""
    try:
        yield cluster
    finally:
        cluster.stop_workers()


@pytest.fixture
async def user(cluster: Cluster) -> User:
    return await new_user(cluster.runtime)
