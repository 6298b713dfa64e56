"""Fixtures for generate/edit API tests: fake providers on loopback and a runtime whose
PICTOR_PROVIDERS_* settings point at them, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tests.conftest import (
    BACKENDS,
    POSTGRES_SERVER,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
)
from tests.generate.fakes import FakeGemini, FakeOpenAI, FakeReplicate

from pictor.api.app import create_app
from pictor.runtime import Runtime, build_runtime


@pytest.fixture(scope="module")
async def fake_gemini() -> AsyncIterator[FakeGemini]:
    fake = FakeGemini()
    async with fake.serve():
        yield fake


@pytest.fixture(scope="module")
async def fake_replicate() -> AsyncIterator[FakeReplicate]:
    fake = FakeReplicate()
    async with fake.serve():
        yield fake


@pytest.fixture(scope="module")
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    async with fake.serve():
        yield fake


@pytest.fixture
def fakes(
    fake_gemini: FakeGemini, fake_replicate: FakeReplicate, fake_openai: FakeOpenAI
) -> tuple[FakeGemini, FakeReplicate, FakeOpenAI]:
    for fake in (fake_gemini, fake_replicate, fake_openai):
        fake.reset()
    return fake_gemini, fake_replicate, fake_openai


@pytest.fixture(scope="module", params=BACKENDS)
async def provider_runtime(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_gemini: FakeGemini,
    fake_replicate: FakeReplicate,
    fake_openai: FakeOpenAI,
) -> AsyncIterator[Runtime]:
    db_name = await create_postgres_database() if request.param == "postgresql" else None
    settings = make_settings(
        tmp_path_factory.mktemp(f"pictor-providers-{request.param}"),
        f"{POSTGRES_SERVER}/{db_name}" if db_name else None,
        providers={
            "default": "gemini",
            "gemini_api_key": FakeGemini.key,
            "gemini_base_url": fake_gemini.url,
            "replicate_api_token": FakeReplicate.key,
            "replicate_base_url": fake_replicate.url,
            "replicate_wait_s": 1,
            "replicate_poll_interval_s": 0.05,
            "openai_api_key": FakeOpenAI.key,
            "openai_base_url": f"{fake_openai.url}/v1",
            "request_timeout_s": 5,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
        },
        # The fakes live on loopback, which the SSRF guard refuses unless allowed.
        fetch={"allow": ["127.0.0.1"]},
    )
    runtime = build_runtime(settings)
    await runtime.start()
    yield runtime
    await runtime.stop()
    if db_name:
        await drop_postgres_database(db_name)


@pytest.fixture
async def provider_client(provider_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=provider_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as client:
        yield client
