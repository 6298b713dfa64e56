"""Two live API nodes (uvicorn on loopback, each its own runtime and app built from the
same settings, on one database) share their sign-in limits through Redis."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from tests.accounts.conftest import PASSWORD, new_email
from tests.accounts.redis_limits import REDIS_URL, delete_prefix, prefix_keys, unique_prefix
from tests.conftest import make_settings
from tests.support.server import live_server

from pictor.accounts.ratelimit_redis import RedisWindowLimiter
from pictor.api.app import create_app
from pictor.config import Settings

LIMIT = 4


@contextlib.asynccontextmanager
async def api_node(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """``pictor serve`` in this process: create_app, its lifespan, uvicorn."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        live_server(app) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        yield app, client


async def test_two_live_nodes_from_the_same_settings_share_the_login_limit(
    tmp_path: Path,
) -> None:
    prefix = unique_prefix()
    settings = make_settings(
        tmp_path,
        auth={
            "rate_limit_url": REDIS_URL,
            "rate_limit_prefix": prefix,
            "login_per_minute": LIMIT,
            "password_time_cost": 1,
            "password_memory_kib": 8192,
            "password_parallelism": 1,
        },
        worker={"concurrency": 1, "process_pool": False},
    )
    redis = Redis.from_url(REDIS_URL)
    try:
        async with api_node(settings) as (app_a, a), api_node(settings) as (app_b, b):
            member = new_email()
            created = await a.post(
                "/v1/auth/register", json={"email": member, "password": PASSWORD}
            )
            assert created.status_code == 201, created.text
            for i in range(LIMIT):  # spread over both nodes
                node = (a, b)[i % 2]
                wrong = await node.post(
                    "/v1/auth/login", json={"email": member, "password": f"guess {i}"}
                )
                assert wrong.status_code == 401, wrong.text
            for node in (b, a):  # the next one is refused, whichever node it reaches
                refused = await node.post(
                    "/v1/auth/login", json={"email": member, "password": PASSWORD}
                )
                assert refused.status_code == 429, refused.text
                assert refused.json()["error"]["code"] == "rate_limited"
                assert 1 <= int(refused.headers["retry-after"]) <= 60
            limiter = app_b.state.accounts.login_limiter
            assert isinstance(limiter, RedisWindowLimiter)
            assert not limiter.windows.down
        # Stopping a node closed its limiters' Redis connections.
        for app in (app_a, app_b):
            assert app.state.accounts.login_limiter.windows.closed
        keys = await prefix_keys(redis, prefix)
        assert {k.split(":")[-3] for k in keys} == {"login", "register"}
        for key in keys:
            assert await redis.pttl(key) > 0
    finally:
        await delete_prefix(redis, prefix)
        await redis.aclose()
