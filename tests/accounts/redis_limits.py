"""Helpers of the Redis rate limit tests: the machine's Redis under a key prefix per
test, API nodes (apps) whose limiters count in it, a private redis-server that a test
may stop, and a Redis that never answers."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from fastapi import FastAPI
from redis.asyncio import Redis
from redis.exceptions import RedisError
from tests.accounts.conftest import CountingHasher, FakeClock, client_for
from tests.support.server import free_port

from pictor.accounts.passwords import Passwords
from pictor.accounts.ratelimit import build_sign_in_limiters
from pictor.accounts.settings import AuthSettings
from pictor.api.app import create_app
from pictor.api.deps import build_accounts
from pictor.config import Settings
from pictor.runtime import Runtime

#: The machine's Redis, in a database no other suite uses; each test has its own prefix.
REDIS_URL = "redis://127.0.0.1:6379/7"


def unique_prefix() -> str:
    return f"pictor:test:{uuid.uuid4().hex[:12]}:ratelimit"


async def prefix_keys(client: Redis, prefix: str) -> list[str]:
    return sorted([k.decode() async for k in client.scan_iter(match=f"{prefix}:*")])


async def delete_prefix(client: Redis, prefix: str) -> None:
    keys = await prefix_keys(client, prefix)
    if keys:
        await client.delete(*keys)


def with_auth(settings: Settings, **auth: object) -> Settings:
    """``settings`` with some ``PICTOR_AUTH_*`` values changed (validated)."""
    section = AuthSettings.model_validate({**settings.auth.model_dump(), **auth})
    return settings.model_copy(update={"auth": section})


def api_node(
    runtime: Runtime, settings: Settings, clock: FakeClock | None, hasher: CountingHasher
) -> FastAPI:
    """One API node over the session's runtime: its own app and sign-in limiters, built
    by the app's builder from ``settings`` (on ``clock``; None: the Redis server's)."""
    accounts = build_accounts(runtime)
    accounts.signin.passwords = Passwords(hasher=hasher)
    limiters = build_sign_in_limiters(settings, clock=clock)
    accounts.login_limiter, accounts.register_limiter = limiters.login, limiters.register
    app = create_app(runtime=runtime)
    app.state.accounts = accounts
    return app


async def post_login(app: FastAPI, ip: str, email: str, password: str = "wrong password") -> int:
    """The status of a login on the node ``app``; a 429 as minus its Retry-After."""
    async with client_for(app, ip) as client:
        response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code != 500, response.text
    if response.status_code == 429:
        assert response.json()["error"]["code"] == "rate_limited"
        return -int(response.headers["retry-after"])
    return response.status_code


async def wait_until_answers(url: str, deadline_s: float = 30.0) -> None:
    """Until a PING to ``url`` succeeds (a server just started)."""
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    deadline = time.monotonic() + deadline_s
    try:
        while True:
            try:
                if await client.ping():
                    return
            except (RedisError, OSError):
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.05)  # polling a condition: the server exposes no event
    finally:
        await client.aclose()


class PrivateRedis:
    """A redis-server of this test on a free loopback port (no persistence): the test
    may stop it and start it again on the same port; the machine's Redis is untouched."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "the Redis tests need redis-server on PATH"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - Popen returns at once
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        await wait_until_answers(self.url)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None


class SilentRedis:
    """A loopback TCP server that accepts connections and never answers (a Redis
    behind a dead network path), counting the connections it got."""

    def __init__(self) -> None:
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    async def __aenter__(self) -> SilentRedis:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._writers:
            writer.close()
        assert self._server is not None
        self._server.close()

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.append(writer)
        while await reader.read(65536):
            pass  # swallow the commands, answer nothing
