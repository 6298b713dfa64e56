"""Sign-in limits counted in Redis are one budget for every API node (the machine's
Redis, a key prefix of their own per test)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from tests.accounts.conftest import (
    PASSWORD,
    CountingHasher,
    FakeClock,
    check_a_refused_attempt_counts_against_no_key,
    client_for,
    new_email,
)
from tests.accounts.redis_limits import (
    REDIS_URL,
    api_node,
    delete_prefix,
    post_login,
    prefix_keys,
    unique_prefix,
    with_auth,
)

from pictor.accounts.errors import RateLimited
from pictor.accounts.ratelimit_redis import RedisWindowLimiter, RedisWindows
from pictor.api.deps import build_accounts
from pictor.runtime import Runtime

LIMIT = 3


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    name = unique_prefix()
    yield name
    await delete_prefix(redis, name)


@pytest.fixture
async def nodes(
    runtime: Runtime, prefix: str, clock: FakeClock, hasher: CountingHasher
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two API nodes with the same settings: login and registration limits of 3,
    counted in Redis, on one fake clock."""
    settings = with_auth(
        runtime.settings,
        rate_limit_url=REDIS_URL,
        rate_limit_prefix=prefix,
        login_per_minute=LIMIT,
        register_per_minute=LIMIT,
    )
    a, b = (api_node(runtime, settings, clock, hasher) for _ in "ab")
    yield a, b
    for app in (a, b):
        await app.state.accounts.aclose()


async def test_the_budget_is_global_over_two_nodes(nodes: tuple[FastAPI, FastAPI]) -> None:
    a, b = nodes
    for i in range(LIMIT):  # a different email each time: the IP is what is counted
        node = (a, b)[i % 2]
        assert await post_login(node, "10.9.0.1", new_email()) == 401
    # The (limit + 1)th, whichever node it reaches, is refused for the whole window.
    assert await post_login(b, "10.9.0.1", new_email()) == -60
    assert await post_login(a, "10.9.0.1", new_email()) == -60


async def test_the_shared_window_slides(nodes: tuple[FastAPI, FastAPI], clock: FakeClock) -> None:
    a, b = nodes
    for step, node in ((0, a), (20, b), (20, a)):  # hits at t=0 (A), 20 (B), 40 (A)
        clock.advance(step)
        assert await post_login(node, "10.9.1.1", new_email()) == 401
    clock.advance(10)  # t=50
    assert await post_login(b, "10.9.1.1", new_email()) == -10  # the t=0 hit leaves at t=60
    clock.advance(10)  # t=60: exactly one slot is free again
    assert await post_login(b, "10.9.1.1", new_email()) == 401
    assert await post_login(a, "10.9.1.1", new_email()) == -20  # next out: t=20, at t=80


async def test_email_and_ip_scopes_are_independent(nodes: tuple[FastAPI, FastAPI]) -> None:
    a, b = nodes
    async with client_for(a, "10.9.2.1") as client:
        registered = await client.post(
            "/v1/auth/register", json={"email": (member := new_email()), "password": PASSWORD}
        )
        assert registered.status_code == 201
    # The account under attack from many IPs, spread over both nodes.
    for i in range(LIMIT):
        assert await post_login((a, b)[i % 2], f"10.9.3.{i}", member) == 401
    assert await post_login(b, "10.9.3.99", member, PASSWORD) == -60
    # Those IPs were charged one attempt each: another account from one of them signs in.
    assert await post_login(a, "10.9.3.0", new_email()) == 401
    # An IP at its limit does not lock the account out from elsewhere.
    for _ in range(LIMIT):
        assert await post_login(a, "10.9.4.1", new_email()) == 401
    assert await post_login(b, "10.9.4.1", new_email()) == -60
    other = new_email()
    assert await post_login(a, "10.9.4.2", other) == 401
    # Registration is a scope of its own: the IP at its login limit may still register.
    async with client_for(b, "10.9.4.1") as client:
        created = await client.post(
            "/v1/auth/register", json={"email": new_email(), "password": PASSWORD}
        )
        assert created.status_code == 201, created.text


def windows(prefix: str, clock: FakeClock | None = None) -> RedisWindows:
    return RedisWindows.from_url(REDIS_URL, prefix=prefix, timeout_s=5, retry_s=5, clock=clock)


async def test_a_refused_attempt_counts_against_no_key(prefix: str, clock: FakeClock) -> None:
    shared = windows(prefix, clock)
    try:
        await check_a_refused_attempt_counts_against_no_key(shared.limiter("login", 2))
    finally:
        await shared.aclose()


async def test_concurrent_attempts_on_two_nodes_never_pass_the_limit(prefix: str) -> None:
    one, two = windows(prefix), windows(prefix)
    limiters = [one.limiter("login", 10), two.limiter("login", 10)]

    async def attempt(i: int) -> bool:
        try:
            await limiters[i % 2].hit(["ip:10.0.0.1"])
        except RateLimited:
            return False
        return True

    try:
        passed = await asyncio.gather(*(attempt(i) for i in range(40)))
    finally:
        await one.aclose()
        await two.aclose()
    assert sum(passed) == 10


async def test_keys_expire_a_window_after_the_last_hit_and_hold_no_email(
    redis: Redis, prefix: str
) -> None:
    shared = windows(prefix)
    try:
        await shared.limiter("register", 5, window_s=30).hit(["ip:10.0.0.7", "email:a@b.example"])
    finally:
        await shared.aclose()
    keys = await prefix_keys(redis, prefix)
    assert len(keys) == 2
    assert all(k.startswith(f"{prefix}:register:") for k in keys)
    assert not any("a@b.example" in k or "10.0.0.7" in k for k in keys)
    for key in keys:
        assert 0 < await redis.pttl(key) <= 30_000
        assert await redis.zcard(key) == 1


async def test_the_window_slides_on_the_redis_server_clock(prefix: str) -> None:
    shared = windows(prefix)  # no clock given: the server's TIME, as in production
    limiter = shared.limiter("login", 1, window_s=0.3)
    try:
        await limiter.hit(["ip:10.0.0.9"])
        with pytest.raises(RateLimited) as refused:
            await limiter.hit(["ip:10.0.0.9"])
        assert refused.value.retry_after_s == 1  # 0.3 s or less, rounded up
        deadline = time.monotonic() + 30
        while True:  # a refused attempt counts nothing: ask until the slot is free
            try:
                await limiter.hit(["ip:10.0.0.9"])
                break
            except RateLimited:
                assert time.monotonic() < deadline, "the window never slid"
            await asyncio.sleep(0.05)
    finally:
        await shared.aclose()


async def test_the_app_builds_redis_limiters_from_settings(runtime: Runtime, prefix: str) -> None:
    settings = with_auth(runtime.settings, rate_limit_url=REDIS_URL, rate_limit_prefix=prefix)
    built = build_accounts(dataclasses.replace(runtime, settings=settings))
    try:
        assert isinstance(built.login_limiter, RedisWindowLimiter)
        assert isinstance(built.register_limiter, RedisWindowLimiter)
        assert built.login_limiter.windows is built.register_limiter.windows
        assert built.login_limiter.windows.prefix == prefix
        assert built.login_limiter.scope == "login"
        assert built.login_limiter.limit == settings.auth.login_per_minute
        assert built.register_limiter.scope == "register"
        assert built.register_limiter.limit == settings.auth.register_per_minute
        assert built.login_limiter.window_s == 60
    finally:
        await built.aclose()
