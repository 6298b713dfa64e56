"""Login and registration are limited per client IP and per email (429, Retry-After)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from tests.accounts.conftest import (
    PASSWORD,
    FakeClock,
    check_a_refused_attempt_counts_against_no_key,
    client_for,
    new_email,
    register,
)

from pictor.accounts.errors import RateLimited
from pictor.accounts.ratelimit import SlidingWindowLimiter
from pictor.api.deps import Accounts, build_accounts
from pictor.runtime import Runtime


async def test_the_window_slides_one_hit_at_a_time() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 60, clock=clock)
    for step in (0, 20, 20):  # hits at t=0, 20, 40
        clock.advance(step)
        await limiter.hit(["k"])
    clock.advance(10)  # t=50
    with pytest.raises(RateLimited) as refused:
        await limiter.hit(["k"])
    assert refused.value.retry_after_s == 10  # the t=0 hit leaves the window at t=60
    clock.advance(10)  # t=60: exactly one slot is free again
    await limiter.hit(["k"])
    with pytest.raises(RateLimited) as again:
        await limiter.hit(["k"])
    assert again.value.retry_after_s == 20  # next out: the t=20 hit, at t=80
    await limiter.hit(["other"])  # keys are counted apart


async def test_a_refused_attempt_counts_against_no_key() -> None:
    await check_a_refused_attempt_counts_against_no_key(
        SlidingWindowLimiter(2, 60, clock=FakeClock())
    )


async def test_the_limiter_forgets_idle_keys_to_bound_its_memory() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, 60, clock=clock, max_keys=3)
    for key in "abc":
        await limiter.hit([key])
    clock.advance(61)
    await limiter.hit(["d"])  # full: the idle a, b, c are dropped, d is counted
    await limiter.hit(["a"])
    with pytest.raises(RateLimited):
        await limiter.hit(["d"])


@pytest.fixture
def limited(accounts: Accounts, runtime: Runtime, clock: FakeClock) -> Accounts:
    """The configured limits (``PICTOR_AUTH_LOGIN_PER_MINUTE`` ...) on the fake clock."""
    settings = runtime.settings.auth
    accounts.login_limiter = SlidingWindowLimiter(settings.login_per_minute, clock=clock)
    accounts.register_limiter = SlidingWindowLimiter(settings.register_per_minute, clock=clock)
    return accounts


def test_the_app_builds_its_limiters_from_settings(runtime: Runtime) -> None:
    built = build_accounts(runtime)
    assert built.login_limiter.limit == runtime.settings.auth.login_per_minute
    assert built.register_limiter.limit == runtime.settings.auth.register_per_minute
    assert built.login_limiter.window_s == 60


async def test_login_is_limited_per_ip(
    app: FastAPI, limited: Accounts, runtime: Runtime, clock: FakeClock
) -> None:
    limit = runtime.settings.auth.login_per_minute
    async with client_for(app, "10.1.0.1") as client:
        member = await register(client)
        for _ in range(limit):  # a different email each time: the IP is what is counted
            wrong = await client.post(
                "/v1/auth/login", json={"email": new_email(), "password": PASSWORD}
            )
            assert wrong.status_code == 401
        refused = await client.post(
            "/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.headers["retry-after"] == "60"
        clock.advance(30)
        later = await client.post(
            "/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        )
        assert later.headers["retry-after"] == "30"
    async with client_for(app, "10.1.0.2") as elsewhere:
        ok = await elsewhere.post(
            "/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        )
        assert ok.status_code == 200, ok.text
    clock.advance(30)
    async with client_for(app, "10.1.0.1") as client:
        ok = await client.post("/v1/auth/login", json={"email": member.email, "password": PASSWORD})
        assert ok.status_code == 200, ok.text


async def test_login_is_limited_per_account_across_ips(
    app: FastAPI, limited: Accounts, runtime: Runtime, clock: FakeClock
) -> None:
    limit = runtime.settings.auth.login_per_minute
    async with client_for(app, "10.2.0.1") as client:
        member = await register(client)
    for i in range(limit):
        async with client_for(app, f"10.2.1.{i}") as client:
            wrong = await client.post(
                "/v1/auth/login", json={"email": member.email, "password": f"guess number {i}"}
            )
            assert wrong.status_code == 401
    async with client_for(app, "10.2.2.1") as client:
        # Even the right password waits: the account is under attack.
        refused = await client.post(
            "/v1/auth/login", json={"email": member.email.upper(), "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) == 60
        other = await register(client)
        ok = await client.post("/v1/auth/login", json={"email": other.email, "password": PASSWORD})
        assert ok.status_code == 200
        clock.advance(60)
        ok = await client.post("/v1/auth/login", json={"email": member.email, "password": PASSWORD})
        assert ok.status_code == 200


async def test_registration_is_limited_per_ip_and_per_email(
    app: FastAPI, limited: Accounts, runtime: Runtime, clock: FakeClock
) -> None:
    limit = runtime.settings.auth.register_per_minute
    async with client_for(app, "10.3.0.1") as client:
        for _ in range(limit):
            await register(client)
        refused = await client.post(
            "/v1/auth/register", json={"email": new_email(), "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.headers["retry-after"] == "60"
    taken = new_email()
    for i in range(limit):
        async with client_for(app, f"10.3.1.{i}") as client:
            await client.post("/v1/auth/register", json={"email": taken, "password": PASSWORD})
    async with client_for(app, "10.3.2.1") as client:
        probe = await client.post("/v1/auth/register", json={"email": taken, "password": PASSWORD})
        assert probe.status_code == 429
    clock.advance(60)
    async with client_for(app, "10.3.0.1") as client:
        await register(client)
