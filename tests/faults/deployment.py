"""A real distributed deployment on this machine, from private services the suite owns.

Nothing here touches the machine's shared PostgreSQL, Redis or RabbitMQ: the suite
starts its own PostgreSQL cluster (``initdb`` into a temporary directory), its own
``redis-server`` (broker and event bus) and its own ``moto_server`` (S3) on free
loopback ports, then two API nodes (``pictor serve --no-worker``) and two worker nodes
(``pictor worker``) as subprocesses. The S3 server is reached through a TCP proxy of the
suite's, so "S3 down" (connections refused, connections cut) can last a while without
losing the server's state.

Every process runs in a process group of its own, with its output in a log file; all
of them are killed at the end (fixture finalizer, and ``atexit`` for an interrupted
run). A missing binary is an error, never a skip: CI has them all.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from tests.storage.s3_server import ACCESS_KEY, REGION, SECRET_KEY, MotoServer, free_port
from tests.support.server import ROOT

PLUGINS = ["tests.support.plugins", "tests.faults.plugins"]
_LIVE: set[Proc] = set()


def _kill_all() -> None:
    for proc in list(_LIVE):
        proc.kill()


atexit.register(_kill_all)


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)  # polling a condition, with a deadline


def binary(name: str, *, postgres: bool = False) -> str:
    """The path of a binary the suite needs; a clear error (not a skip) if absent."""
    if postgres:
        found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        if found:
            return str(found[-1])
    local = Path(sys.executable).with_name(name)
    if local.exists():
        return str(local)
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"the fault suite needs {name!r} (PostgreSQL server binaries, redis-server and"
            " moto_server must be installed); it is not on this machine"
        )
    return path


class Proc:
    """A subprocess in its own process group, its output appended to ``log``."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log: Path,
        env: dict[str, str] | None = None,
        user: str | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self.env = env
        self.user = user
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        assert not self.running, f"{self.name} already running"
        with self.log.open("ab") as out:
            out.write(f"---- start {' '.join(self.argv)}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                user=self.user,
                start_new_session=True,
            )
        _LIVE.add(self)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def send(self, sig: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)

    def kill(self) -> None:
        """kill -9 the whole group (the process and its children)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        _LIVE.discard(self)

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 20.0) -> None:
        """Ask the group to stop; kill it if it has not after ``timeout_s``."""
        if self.proc is None:
            return
        if self.running:
            self.send(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout_s)
        self.kill()

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Postgres:
    """A private PostgreSQL cluster (trust auth, no fsync) in a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.port = free_port()
        # initdb and postgres refuse to run as root; CI and this machine have the
        # ``postgres`` account of the distribution's packages.
        self.user = "postgres" if os.geteuid() == 0 else None
        self.proc: Proc | None = None

    def url(self, database: str = "pictor") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def init(self, log: Path) -> None:
        self.sockets.mkdir(parents=True)
        if self.user is not None:
            shutil.chown(self.root, self.user)
            shutil.chown(self.sockets, self.user)
        options = ["-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "-N"]
        subprocess.run(
            [binary("initdb", postgres=True), *options],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=self.user,
            cwd=self.root,
        )
        settings = (
            "listen_addresses = '127.0.0.1'\nmax_connections = 300\nfsync = off\n"
            "synchronous_commit = off\nfull_page_writes = off\n"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(settings)
        argv = [binary("postgres", postgres=True), "-D", str(self.data)]
        argv += ["-p", str(self.port), "-k", str(self.sockets)]
        self.proc = Proc("postgres", argv, log, user=self.user)

    def start(self) -> None:
        assert self.proc is not None
        self.proc.start()
        wait_for(self.accepts, "PostgreSQL to accept connections")

    def accepts(self) -> bool:
        assert self.proc is not None
        if not self.proc.running:
            raise RuntimeError(f"postgres exited:\n{self.proc.tail()}")
        probe = [binary("pg_isready", postgres=True), "-q", "-h", "127.0.0.1"]
        probe += ["-p", str(self.port), "-U", "postgres", "-d", "postgres"]
        return subprocess.run(probe, check=False).returncode == 0

    def stop(self) -> None:
        """Fast shutdown (SIGINT): sessions are cut, the cluster stays on disk."""
        assert self.proc is not None
        self.proc.stop(signal.SIGINT)

    def create_database(self, name: str = "pictor") -> None:
        argv = [binary("createdb", postgres=True), "-h", "127.0.0.1", "-p", str(self.port)]
        subprocess.run([*argv, "-U", "postgres", name], check=True, user=self.user)


class Redis:
    """A private redis-server without persistence (a restart loses its messages)."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        argv = [binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
        self.proc = Proc("redis", argv, log)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc.start()
        wait_for(self.answers, "redis-server to answer PING")

    def answers(self) -> bool:
        if not self.proc.running:
            raise RuntimeError(f"redis-server exited:\n{self.proc.tail()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.stop()


class TcpProxy:
    """Loopback TCP proxy on a port of its own, in a thread with its own event loop.

    ``down()`` stops listening and cuts every open connection (clients then get
    "connection refused"); ``up()`` listens again on the same port.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def up(self) -> None:
        self._call(self._open())

    def down(self) -> None:
        self._call(self._close())

    def close(self) -> None:
        self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    async def _open(self) -> None:
        assert self._server is None
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def _close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(OSError, RuntimeError):
                dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._writers.discard(writer)
            self._writers.discard(up_writer)


class Deployment:
    """The private services, two API nodes and two worker nodes; see the module doc."""

    def __init__(self, root: Path, secret: str, concurrency: int = 4) -> None:
        self.root = root
        self.concurrency = concurrency
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        self.postgres = Postgres(root / "pg")
        self.redis = Redis(self.logs / "redis.log")
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
            "PICTOR_BROKER_URL": self.redis.url,
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
        self.moto.start()
        _LIVE.add(_MotoHandle(self.moto))
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
        text = self.workers[index].log.read_text(errors="replace")
        return "worker process" in text.split("---- start ")[-1]

    def worker_connections(self, index: int) -> int:
        """How often worker ``index`` connected to the broker since its last start."""
        text = self.workers[index].log.read_text(errors="replace")
        return text.split("---- start ")[-1].count("Connected to redis://")

    def logs_text(self, lines: int = 80) -> str:
        procs = [*self.apis, *self.workers, self.postgres.proc, self.redis.proc]
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
        if self.postgres.proc is not None:
            self.postgres.stop()
        _kill_all()


class _MotoHandle(Proc):
    """Lets the atexit hook kill the moto server too."""

    def __init__(self, moto: MotoServer) -> None:
        super().__init__("moto", [], Path(os.devnull))
        self.moto = moto

    def kill(self) -> None:
        self.moto.stop()
        _LIVE.discard(self)


def new_root() -> Path:
    """A fresh directory under /tmp the ``postgres`` account can enter."""
    root = Path(tempfile.mkdtemp(prefix="pictor-faults-"))
    root.chmod(0o755)
    return root
