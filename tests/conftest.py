"""Shared fixtures: a real pictor runtime on SQLite and on PostgreSQL, HTTP clients, users.

The PostgreSQL server running on this machine (``PICTOR_TEST_POSTGRES_URL``, default
``postgresql+asyncpg://postgres@127.0.0.1:5432``) gets a fresh database per test run;
it is required, not optional: CI must exercise it.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection

from pictor.accounts.service import AccountService
from pictor.api.app import create_app
from pictor.config import Settings
from pictor.credits import ledger
from pictor.runtime import Runtime, build_runtime

POSTGRES_SERVER = os.environ.get(
    "PICTOR_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432"
)
BACKENDS = ["sqlite", "postgresql"]


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def create_postgres_database() -> str:
    name = f"pictor_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_plain_dsn(POSTGRES_SERVER) + "/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_postgres_database(name: str) -> None:
    conn = await asyncpg.connect(_plain_dsn(POSTGRES_SERVER) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def make_settings(data_dir: Path, database_url: str | None = None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "data_dir": data_dir,
        "security": {"secret_key": secrets.token_urlsafe(24), "key_cache_ttl_s": 0},
        "worker": {"concurrency": 2, "backoff_base_s": 0.05, "backoff_max_s": 0.2},
        "plugins": ["tests.support.plugins"],
        "log": {"json": False},
    }
    if database_url:
        values["database"] = {"url": database_url}
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    name = await create_postgres_database()
    yield f"{POSTGRES_SERVER}/{name}"
    await drop_postgres_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
async def runtime(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    """A started runtime (migrations, admin, workers with a real process pool)."""
    data_dir = tmp_path_factory.mktemp(f"pictor-{request.param}")
    url = None
    db_name = None
    if request.param == "postgresql":
        db_name = await create_postgres_database()
        url = f"{POSTGRES_SERVER}/{db_name}"
    rt = build_runtime(make_settings(data_dir, url))
    await rt.start()
    yield rt
    await rt.stop()
    if db_name:
        await drop_postgres_database(db_name)


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as c:
        yield c


class User:
    def __init__(self, user_id: str, key: str) -> None:
        self.id = user_id
        self.key = key
        self.headers = {"Authorization": f"Bearer {key}"}


#: What a test user has unless a test asks otherwise: enough for any suite.
TEST_CREDITS = 1_000_000


async def new_user(runtime: Runtime, role: str = "user", *, credits: int = TEST_CREDITS) -> User:
    """A user with an API key and exactly ``credits`` available (set by an ``adjustment``
    on top of the signup grant)."""
    grant = runtime.settings.credits.signup_grant
    async with runtime.db.session() as session:
        service = AccountService(session, signup_grant=grant)
        user = await service.create_user(f"{uuid.uuid4().hex[:10]}@example.com", role=role)
        _, key = await service.create_key(user.id, "test")

    def fund(conn: Connection) -> None:
        change = credits - ledger.balance(conn, user.id).available
        ledger.credit(
            conn, user.id, change, entry="adjustment", cause_type="admin", cause_id="tests"
        )

    await runtime.db.write(fund)
    return User(user.id, key)


@pytest.fixture
async def user(runtime: Runtime) -> User:
    return await new_user(runtime)


@pytest.fixture
async def other_user(runtime: Runtime) -> User:
    return await new_user(runtime)
