"""PICTOR_PROVIDERS_TOTAL_TIMEOUT_S bounds all calls of one job (issue-3 review)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.conftest import make_settings
from tests.generate.fakes import FakeReplicate

from pictor.engines.generate.base import ImageRequest
from pictor.engines.generate.errors import ProviderTimeout
from pictor.engines.generate.providers import build_providers


@pytest.fixture(scope="module")
async def replicate_server() -> AsyncIterator[FakeReplicate]:
    fake = FakeReplicate()
    async with fake.serve():
        yield fake


async def test_a_prediction_that_never_ends_stops_at_the_total_timeout(
    replicate_server: FakeReplicate, tmp_path: Path
) -> None:
    replicate_server.reset()
    replicate_server.statuses = ["processing"]
    settings = make_settings(
        tmp_path,
        providers={
            "replicate_api_token": FakeReplicate.key,
            "replicate_base_url": replicate_server.url,
            "replicate_wait_s": 1,
            "replicate_poll_interval_s": 0.05,
            "total_timeout_s": 0.6,
        },
    )
    provider = build_providers(settings).get("replicate")
    # The request's own deadline is far away: only the settings' budget can stop it
    # (without it, wait_for's 20 s would end the test with TimeoutError instead).
    request = ImageRequest(prompt="a fox", deadline=time.monotonic() + 600)
    with pytest.raises(ProviderTimeout):
        await asyncio.wait_for(provider.generate(request), 20)
    await asyncio.wait_for(replicate_server.canceled.wait(), 5)
