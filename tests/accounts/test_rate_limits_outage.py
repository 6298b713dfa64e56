"""Redis unreachable: sign-in still answers (never a 500), counted in each process
instead (fail open to the in-process window), and shared again once Redis is back.

The machine's Redis is never touched: "down" is a closed loopback port, a server that
never answers, or a private redis-server that the test stops.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from tests.accounts.conftest import PASSWORD, CountingHasher, FakeClock, client_for, new_email
from tests.accounts.redis_limits import (
    PrivateRedis,
    SilentRedis,
    api_node,
    post_login,
    with_auth,
)
from tests.support.server import free_port

from pictor.runtime import Runtime

LIMIT = 3
RETRY_S = 5.0


def node_on(
    url: str, runtime: Runtime, clock: FakeClock, hasher: CountingHasher, **auth: object
) -> FastAPI:
    settings = with_auth(
        runtime.settings,
        rate_limit_url=url,
        rate_limit_prefix="pictor:test:outage",
        rate_limit_retry_s=RETRY_S,
        login_per_minute=LIMIT,
        register_per_minute=LIMIT,
        **auth,
    )
    return api_node(runtime, settings, clock, hasher)


@pytest.fixture
async def refused_node(
    runtime: Runtime, clock: FakeClock, hasher: CountingHasher
) -> AsyncIterator[FastAPI]:
    """A node whose Redis URL is a loopback port nothing listens on."""
    app = node_on(f"redis://127.0.0.1:{free_port()}/0", runtime, clock, hasher)
    yield app
    await app.state.accounts.aclose()


async def test_sign_in_answers_when_redis_refuses_connections(
    refused_node: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pictor.auth"):
        async with client_for(refused_node, "10.8.0.1") as client:
            created = await client.post(
                "/v1/auth/register", json={"email": (member := new_email()), "password": PASSWORD}
            )
            assert created.status_code == 201, created.text
        assert await post_login(refused_node, "10.8.0.1", member, PASSWORD) == 200
        assert await post_login(refused_node, "10.8.0.1", new_email()) == 401
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per login


async def test_the_limit_still_holds_in_the_process_while_redis_is_down(
    refused_node: FastAPI, clock: FakeClock
) -> None:
    for _ in range(LIMIT):
        assert await post_login(refused_node, "10.8.1.1", new_email()) == 401
    assert await post_login(refused_node, "10.8.1.1", new_email()) == -60
    clock.advance(RETRY_S + 1)  # Redis is asked again, still refuses: counted locally
    assert await post_login(refused_node, "10.8.1.1", new_email()) == -(60 - RETRY_S - 1)


async def test_a_silent_redis_costs_one_timeout_per_retry_period(
    runtime: Runtime, clock: FakeClock, hasher: CountingHasher
) -> None:
    async with SilentRedis() as silent:
        app = node_on(silent.url, runtime, clock, hasher, rate_limit_timeout_s=0.2)
        try:
            assert await post_login(app, "10.8.2.1", new_email()) == 401  # after the timeout
            assert silent.accepted == 1
            for _ in range(LIMIT - 1):  # within the retry period: Redis is not asked
                assert await post_login(app, "10.8.2.1", new_email()) == 401
            assert await post_login(app, "10.8.2.1", new_email()) == -60
            assert silent.accepted == 1
            clock.advance(RETRY_S)
            assert await post_login(app, "10.8.2.2", new_email()) == 401
            assert silent.accepted == 2  # asked again once the period was over
        finally:
            await app.state.accounts.aclose()


async def test_counting_is_shared_again_when_redis_is_back(
    runtime: Runtime, clock: FakeClock, hasher: CountingHasher, tmp_path: Path
) -> None:
    server = PrivateRedis(tmp_path)
    await server.start()
    a, b = (node_on(server.url, runtime, clock, hasher) for _ in "ab")
    probe = Redis.from_url(server.url)
    try:
        assert await post_login(a, "10.8.3.1", new_email()) == 401
        assert await post_login(b, "10.8.3.1", new_email()) == 401
        server.stop()
        # Down: each node counts alone, from nothing; logins still get their answer.
        for _ in range(LIMIT):
            assert await post_login(a, "10.8.3.1", new_email()) == 401
        assert await post_login(a, "10.8.3.1", new_email()) == -60
        assert await post_login(b, "10.8.3.1", new_email()) == 401
        await server.start()  # same port, empty (no persistence)
        clock.advance(RETRY_S)
        # Back: one budget for both nodes again, counted in the restarted server.
        for node in (a, b, a):
            assert await post_login(node, "10.8.3.1", new_email()) == 401
        assert await post_login(b, "10.8.3.1", new_email()) == -60
        ip_key = a.state.accounts.login_limiter.windows.key("login", "ip:10.8.3.1")
        assert await probe.zcard(ip_key) == LIMIT
    finally:
        for app in (a, b):
            await app.state.accounts.aclose()
        await probe.aclose()
        server.stop()
