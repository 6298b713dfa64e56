"""`pictor serve` as a process for the browser tests: its own temp data dir, a loopback
port, the admin key it prints on its first start, and its output kept for diagnostics."""

from __future__ import annotations

import collections
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tests.support.server import ROOT, free_port

_ADMIN_LINE = re.compile(rb"created admin \S+ with API key (psk_\S+)")
START_TIMEOUT_S = 90.0


@dataclass
class PictorServer:
    """A live `pictor serve` (embedded mode, SQLite) on loopback."""

    url: str
    admin_key: str = field(repr=False)
    data_dir: Path
    env: dict[str, str] = field(repr=False)
    proc: subprocess.Popen[bytes] = field(repr=False)
    output: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=400), repr=False
    )

    def admin_client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.admin_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(list(self.output)[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def base_env(data_dir: Path) -> dict[str, str]:
    return {
        "PICTOR_ENV": "test",
        "PICTOR_DATA_DIR": str(data_dir),
        "PICTOR_SECURITY_SECRET_KEY": secrets.token_urlsafe(24),
        "PICTOR_SECURITY_KEY_CACHE_TTL_S": "0",
        "PICTOR_PLUGINS": json.dumps(["tests.support.plugins"]),
        "PICTOR_LOG_JSON": "false",
        # Tests register many accounts from one address within a minute.
        "PICTOR_AUTH_REGISTER_PER_MINUTE": "10000",
        "PICTOR_AUTH_LOGIN_PER_MINUTE": "10000",
        # Cheap password hashing: sign-ins are many and the machine is small.
        "PICTOR_AUTH_PASSWORD_TIME_COST": "1",
        "PICTOR_AUTH_PASSWORD_MEMORY_KIB": "8192",
        "PICTOR_AUTH_PASSWORD_PARALLELISM": "1",
        "PYTHONUNBUFFERED": "1",
    }


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> PictorServer:
    """Start `pictor serve` and wait (with a deadline) until it answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**base_env(data_dir), **(extra_env or {})}
    port = free_port()
    exe = Path(sys.executable).with_name("pictor")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output: collections.deque[str] = collections.deque(maxlen=400)
    started = threading.Event()
    admin_key: list[str] = []

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # read to the end, or the server blocks on a full pipe
            match = _ADMIN_LINE.search(line)
            if match:
                admin_key.append(match.group(1).decode())
                output.append("pictor: created admin (key hidden)")
            else:
                output.append(line.decode(errors="replace").rstrip())
            if b"Application startup complete" in line:
                started.set()
        started.set()

    threading.Thread(target=drain, name=f"pictor-serve-{port}", daemon=True).start()
    server = PictorServer(f"http://127.0.0.1:{port}", "", data_dir, env, proc, output)
    deadline = time.monotonic() + START_TIMEOUT_S
    if not started.wait(START_TIMEOUT_S) or proc.poll() is not None or not admin_key:
        server.stop()
        raise RuntimeError(f"pictor serve did not start:\n{server.log_tail()}")
    server.admin_key = admin_key[0]
    _until_answers(server, deadline)
    return server


def _until_answers(server: PictorServer, deadline: float) -> None:
    with server.admin_client() as client:
        while True:
            try:
                if client.get("/v1/me").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"pictor serve does not answer:\n{server.log_tail()}")
            threading.Event().wait(0.1)  # polling a condition with a deadline
