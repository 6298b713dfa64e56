"""The private services of the fault suite's deployment, and the processes it runs.

Nothing here touches the machine's shared PostgreSQL, Redis or RabbitMQ: the suite
starts its own PostgreSQL cluster (``initdb`` into a temporary directory), its own
``redis-server``, its own RabbitMQ node and a TCP proxy (in front of ``moto_server``) on
free loopback ports. Every process runs in a process group of its own, with its output
in a log file; ``atexit`` kills whatever is still running when the run is interrupted.
A missing binary is an error, never a skip: CI has them all.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import amqp
from tests.storage.s3_server import MotoServer, free_port

LIVE: set[Proc] = set()


def kill_all() -> None:
    for proc in list(LIVE):
        proc.kill()


atexit.register(kill_all)


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
        LIVE.add(self)
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
        LIVE.discard(self)

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


class RabbitMQ:
    """A private RabbitMQ node: its own node name, AMQP and distribution ports, data
    directory, Erlang cookie (``HOME``) and configuration (the machine's
    ``/etc/rabbitmq`` files are not read, no plugins). Durable queues and persistent
    messages survive its restart, as in production. It shares the machine's ``epmd``
    (the Erlang port mapper) under its own name; the machine's node is never touched."""

    def __init__(self, root: Path, log: Path) -> None:
        self.port = free_port()
        root.mkdir(parents=True)
        (root / "home").mkdir()
        (root / "enabled_plugins").write_text("[].\n")
        (root / "rabbitmq.conf").write_text("loopback_users = none\n")
        (root / "rabbitmq-env.conf").write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL"))}
        env.update(
            HOME=str(root / "home"),
            RABBITMQ_NODENAME=f"pictor-faults-{self.port}@localhost",
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(free_port()),
            RABBITMQ_MNESIA_BASE=str(root / "mnesia"),
            RABBITMQ_LOG_BASE=str(root / "log"),
            RABBITMQ_LOGS="-",
            RABBITMQ_PID_FILE=str(root / "pid"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(root / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(root / "rabbitmq.conf"),
            RABBITMQ_CONF_ENV_FILE=str(root / "rabbitmq-env.conf"),
            ERL_EPMD_ADDRESS="127.0.0.1",
        )
        self.proc = Proc("rabbitmq", [_rabbitmq_server()], log, env)

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def launch(self) -> None:
        """Start the node without waiting (it boots while other work goes on)."""
        self.proc.start()

    def start(self) -> None:
        self.proc.start()
        self.wait_ready()

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        wait_for(self.answers, "RabbitMQ to accept AMQP connections", timeout_s)

    def answers(self) -> bool:
        if not self.proc.running:
            raise RuntimeError(f"rabbitmq-server exited:\n{self.proc.tail()}")
        connection = amqp.Connection(f"127.0.0.1:{self.port}", connect_timeout=2)
        try:
            connection.connect()
        except (OSError, amqp.exceptions.AMQPError):
            return False
        with contextlib.suppress(OSError, amqp.exceptions.AMQPError):
            connection.close()
        return True

    def stop(self) -> None:
        """SIGTERM: the node shuts down cleanly, its queues and messages kept on disk."""
        self.proc.stop(timeout_s=60)


def _rabbitmq_server() -> str:
    """The server script itself (``/usr/sbin``'s wrapper would switch to the
    ``rabbitmq`` account and log into /var/log)."""
    packaged = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
    return str(packaged) if packaged.exists() else binary("rabbitmq-server")


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


class MotoHandle(Proc):
    """Lets the atexit hook kill the moto server too."""

    def __init__(self, moto: MotoServer) -> None:
        super().__init__("moto", [], Path(os.devnull))
        self.moto = moto

    def kill(self) -> None:
        self.moto.stop()
        LIVE.discard(self)
