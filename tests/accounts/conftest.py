"""Accounts fixtures: a fresh app per test (its own rate limiters, on a fake clock) over
the session's runtime, cheap argon2 parameters, and helpers to sign up and sign in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from pictor.accounts.errors import RateLimited
from pictor.accounts.passwords import Passwords
from pictor.accounts.ratelimit import RateLimiter, SlidingWindowLimiter
from pictor.api.app import create_app
from pictor.api.deps import Accounts, build_accounts
from pictor.runtime import Runtime

PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingHasher(PasswordHasher):
    """argon2id with small parameters that counts verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifications += 1
        return super().verify(hash, password)


async def check_a_refused_attempt_counts_against_no_key(limiter: RateLimiter) -> None:
    """``limiter`` allows 2 attempts per key in its window and has counted none yet."""
    await limiter.hit(["ip:a", "email:x"])
    await limiter.hit(["ip:a", "email:x"])
    with pytest.raises(RateLimited):
        await limiter.hit(["ip:a", "email:y"])
    # email:y was not charged by the refusal: from another IP it still has 2 attempts.
    await limiter.hit(["ip:b", "email:y"])
    await limiter.hit(["ip:c", "email:y"])
    with pytest.raises(RateLimited):
        await limiter.hit(["ip:d", "email:y"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def accounts(runtime: Runtime, clock: FakeClock, hasher: CountingHasher) -> Accounts:
    """The app's sign-in parts, with limits high enough for tests that are not about
    rate limiting (those replace the limiters)."""
    built = build_accounts(runtime)
    built.signin.passwords = Passwords(hasher=hasher)
    built.login_limiter = SlidingWindowLimiter(1000, clock=clock)
    built.register_limiter = SlidingWindowLimiter(1000, clock=clock)
    return built


@pytest.fixture
def app(runtime: Runtime, accounts: Accounts) -> FastAPI:
    fresh = create_app(runtime=runtime)
    fresh.state.accounts = accounts
    return fresh


def client_for(app: FastAPI, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://pictor.test")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


def new_email() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Member:
    """A user who signed up through the API."""

    id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


async def register(
    client: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD
) -> Member:
    email = email or new_email()
    response = await client.post("/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return Member(body["user"]["id"], email, body["access_token"], body["refresh_token"])


@pytest.fixture
async def member(client: httpx.AsyncClient) -> Member:
    return await register(client)
