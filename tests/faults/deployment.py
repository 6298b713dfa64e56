"""A real distributed deployment on this machine, from private services the suite owns.

The services (``tests/faults/services.py``): a private PostgreSQL cluster, a private
``redis-server`` (broker and event bus), a private RabbitMQ node (the broker of the
RabbitMQ scenario) and ``moto_server`` (S3) reached through a TCP proxy of the suite's,
so "S3 down" (connections refused, connections cut) can last a while without losing the
server's state. On them: two API nodes (``pictor serve --no-worker``) and two worker
nodes (``pictor worker``) as subprocesses, all killed at the end (fixture finalizer, and
``atexit`` for an interrupted run).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import httpx
from tests.faults.services import (
    LIVE,
    MotoHandle,
    Postgres,
    Proc,
    RabbitMQ,
    Redis,
    TcpProxy,
    kill_all,
    wait_for,
)
from tests.storage.s3_server import ACCESS_KEY, REGION, SECRET_KEY, MotoServer, free_port
from tests.support.server import ROOT

PLUGINS = ["tests.support.plugins", "tests.faults.plugins"]


class Deployment:
    """The private services, two API nodes and two worker nodes; see the module doc."""

    def __init__(self, root: Path, secret: str, concurrency: int = 4) -> None:
        self.root = root
        self.concurrency = concurrency
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        self.postgres = Postgres(root / "pg")
        self.redis = Redis(self.logs / "redis.log")
        self.rabbitmq = RabbitMQ(root / "rabbitmq", self.logs / "rabbitmq.log")
        #: The broker every node uses: the private Redis, or RabbitMQ (``use_broker``).
        self.broker_url = self.redis.url
        self.moto = MotoServer()
        self.s3 = TcpProxy(self.moto.port)
        self.bucket = "pictor-faults"
        self.secret = secret
        self.apis: list[Proc] = []
        self.api_ports: list[int] = []
        self.workers: list[Proc] = []
        self._worker_starts: list[int] = []

    # -- settings ---------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        return {
            "PICTOR_ENV": "test",
            "PICTOR_DATABASE_URL": self.postgres.url(),
            "PICTOR_DATABASE_POOL_SIZE": "4",
            "PICTOR_BROKER_URL": self.broker_url,
            "PICTOR_BROKER_TIME_LIMIT_MARGIN_S": "3",
            "PICTOR_BROKER_REQUEUE_AFTER_S": "10",
            "PICTOR_STORAGE_URL": f"s3://{self.bucket}/deployment",
            "PICTOR_STORAGE_ENDPOINT_URL": f"http://127.0.0.1:{self.s3.port}",
            "PICTOR_STORAGE_REGION": REGION,
            "PICTOR_STORAGE_ADDRESSING_STYLE": "path",
            "PICTOR_STORAGE_ACCESS_KEY_ID": ACCESS_KEY,
            "PICTOR_STORAGE_SECRET_ACCESS_KEY": SECRET_KEY,
            "PICTOR_STORAGE_CONNECT_TIMEOUT_S": "2",
            "PICTOR_STORAGE_READ_TIMEOUT_S": "5",
            "PICTOR_STORAGE_MAX_ATTEMPTS": "2",
            "PICTOR_DATA_DIR": str(self.root / "data"),
            "PICTOR_SECURITY_SECRET_KEY": self.secret,
            "PICTOR_PLUGINS": json.dumps(PLUGINS),
            # A worker killed mid-job is noticed when its lease ends (fault_work: 10 s
            # timeout + 6 s margin; Redis redelivers only after the visibility timeout).
            "PICTOR_WORKER_TIMEOUTS": json.dumps({"fault_work": 10}),
            "PICTOR_WORKER_LEASE_MARGIN_S": "6",
            "PICTOR_WORKER_RECONCILE_INTERVAL_S": "0.5",
            "PICTOR_WORKER_MAX_ATTEMPTS": "6",
            # A worker's consumer left holding its prefetch slots after a broker restart
            # reconnects after 5 s (default 20 s; see pictor.worker.liveness).
            "PICTOR_WORKER_CONSUMER_STALL_S": "5",
            "PICTOR_WORKER_BACKOFF_BASE_S": "0.5",
            "PICTOR_WORKER_BACKOFF_MAX_S": "3",
            "PICTOR_LOG_JSON": "false",
            "PICTOR_LOG_LEVEL": "INFO",
        }

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PICTOR_")}
        return {**env, **self.env, "PYTHONPATH": str(ROOT)}

    # -- lifecycle --------------------------------------------------------------------

    def start_services(self) -> None:
        self.postgres.init(self.logs / "postgres.log")
        self.postgres.start()
        self.postgres.create_database()
        self.redis.start()
        self.rabbitmq.launch()  # boots meanwhile; waited for by the RabbitMQ scenario
        self.moto.start()
        LIVE.add(MotoHandle(self.moto))
        self.moto.admin().create_bucket(Bucket=self.bucket)
        self.s3.up()

    def start_nodes(self, apis: int = 2, workers: int = 2) -> None:
        for _ in range(apis):
            self.api_ports.append(free_port())
            self.apis.append(self._api_proc(len(self.apis)))
        for index in range(workers):
            self.workers.append(self._worker_proc(index))
            self._worker_starts.append(0)
        for api in self.apis:
            api.start()
        for index in range(workers):
            self.start_worker(index)
        for index in range(apis):
            self.wait_api_ready(index)

    def _api_proc(self, index: int) -> Proc:
        exe = str(Path(sys.executable).with_name("pictor"))
        argv = [exe, "serve", "--no-worker", "--port", str(self.api_ports[index])]
        return Proc(f"api{index}", argv, self.logs / f"api{index}.log", self.process_env())

    def _worker_proc(self, index: int) -> Proc:
        exe = str(Path(sys.executable).with_name("pictor"))
        argv = [exe, "worker", f"--concurrency={self.concurrency}", f"--hostname=w{index}@%h"]
        return Proc(f"worker{index}", argv, self.logs / f"worker{index}.log", self.process_env())

    def use_broker(self, url: str) -> None:
        """Stop every node, then start them all again with ``url`` as their broker."""
        nodes = [*self.apis, *self.workers]
        for node in nodes:
            node.send(signal.SIGTERM)
        for node in nodes:
            node.stop(timeout_s=30)
        self.broker_url = url
        self.apis = [self._api_proc(index) for index in range(len(self.apis))]
        self.workers = [self._worker_proc(index) for index in range(len(self.workers))]
        for api in self.apis:
            api.start()
        for index in range(len(self.workers)):
            self.start_worker(index)
        for index in range(len(self.apis)):
            self.wait_api_ready(index)

    def api_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.api_ports[index]}"

    def start_api(self, index: int) -> None:
        self.apis[index].start()
        self.wait_api_ready(index)

    def wait_api_ready(self, index: int, timeout_s: float = 90.0) -> None:
        api = self.apis[index]

        def ready() -> bool:
            if not api.running:
                raise RuntimeError(f"{api.name} exited:\n{api.tail()}")
            try:
                return httpx.get(f"{self.api_url(index)}/ready", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, f"{api.name} /ready", timeout_s)

    def start_worker(self, index: int, *, wait: bool = True) -> None:
        """Start worker ``index``; with ``wait``, until Celery's "ready." of this start."""
        self._worker_starts[index] += 1
        self.workers[index].start()
        if wait:
            self.wait_worker_ready(index)

    def wait_worker_ready(self, index: int, timeout_s: float = 90.0) -> None:
        worker = self.workers[index]
        starts = self._worker_starts[index]

        def ready() -> bool:
            if not worker.running:
                raise RuntimeError(f"{worker.name} exited:\n{worker.tail()}")
            text = worker.log.read_text(errors="replace")
            return (
                text.count("---- start ") == starts and " ready." in text.split("---- start ")[-1]
            )

        wait_for(ready, f"{worker.name} to be ready", timeout_s)

    def worker_has_run_jobs(self, index: int) -> bool:
        """Whether worker ``index``, since its last start, built a runtime in a pool
        process: that happens on the process's first job."""
        return "worker process" in self._since_start(index)

    def worker_connections(self, index: int) -> int:
        """How often worker ``index`` connected to the broker since its last start."""
        scheme = self.broker_url.split(":", 1)[0]
        return self._since_start(index).count(f"Connected to {scheme}://")

    def worker_log_size(self, index: int) -> int:
        return self.workers[index].log.stat().st_size

    def worker_log_since(self, index: int, offset: int) -> str:
        """Worker ``index``'s log written after ``offset`` (a ``worker_log_size``)."""
        with self.workers[index].log.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _since_start(self, index: int) -> str:
        text = self.workers[index].log.read_text(errors="replace")
        return text.split("---- start ")[-1]

    def logs_text(self, lines: int = 80) -> str:
        procs = [*self.apis, *self.workers, self.postgres.proc, self.redis.proc]
        procs.append(self.rabbitmq.proc)
        return "\n".join(
            f"===== {proc.name} ({proc.log})\n{proc.tail(lines)}" for proc in procs if proc
        )

    def close(self) -> None:
        for proc in [*self.apis, *self.workers]:
            proc.stop(timeout_s=10)
        with contextlib.suppress(Exception):
            self.s3.close()
        self.moto.stop()
        self.redis.stop()
        self.rabbitmq.stop()
        if self.postgres.proc is not None:
            self.postgres.stop()
        kill_all()


def new_root() -> Path:
    """A fresh directory under /tmp the ``postgres`` account can enter."""
    root = Path(tempfile.mkdtemp(prefix="pictor-faults-"))
    root.chmod(0o755)
    return root
