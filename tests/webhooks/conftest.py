"""Fixtures of the webhooks tests: a runtime per database whose webhooks service the
test drives (no polling, an injected clock), a receiver on loopback, an API client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from tests.conftest import BACKENDS, POSTGRES_SERVER, create_postgres_database
from tests.conftest import drop_postgres_database as drop_database
from tests.support.webhook_receiver import Receiver, webhook_receiver
from tests.webhooks.support import Backend, Clock, webhook_service

from pictor.api.app import create_app
from pictor.runtime import Runtime, build_runtime


@pytest.fixture(scope="session", params=BACKENDS)
async def hook_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"webhooks-{request.param}")
    if request.param == "sqlite":
        yield Backend("sqlite", data_dir, None)
        return
    name = await create_postgres_database()
    yield Backend("postgresql", data_dir, f"{POSTGRES_SERVER}/{name}")
    await drop_database(name)


@pytest.fixture(scope="session")
async def hook_runtime(hook_backend: Backend) -> AsyncIterator[Runtime]:
    runtime = build_runtime(hook_backend.settings())
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
def clock(hook_runtime: Runtime) -> Iterator[Clock]:
    service = webhook_service(hook_runtime)
    fake = Clock()
    before = service.clock
    service.clock = fake
    yield fake
    service.clock = before


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with webhook_receiver() as hook:
        yield hook


@pytest.fixture
async def api(hook_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=hook_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as c:
        yield c
