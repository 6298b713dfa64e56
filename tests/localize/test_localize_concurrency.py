"""The gemini localizer's bound: at most ``concurrency`` requests in flight at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import Request, Response
from tests.localize.localize_fakes import LocalizeGemini
from tests.localize.test_localize_gemini_engine import AD, in_thread

from pictor.engines.generate.gemini import GeminiProvider
from pictor.engines.generate.retry import RetryPolicy
from pictor.engines.localize.base import LocalizeRequest
from pictor.engines.localize.gemini import GeminiLocalizer
from pictor.localization.catalog import load_catalog


class CountingGemini(LocalizeGemini):
    """Counts the requests being answered at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.most = 0

    async def _generate(self, call: str, request: Request) -> Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            return await super()._generate(call, request)
        finally:
            self.in_flight -= 1


@pytest.fixture
async def counting() -> AsyncIterator[CountingGemini]:
    fake = CountingGemini()
    async with fake.serve():
        yield fake


@pytest.mark.parametrize("bound", [1, 3])
async def test_no_more_requests_than_the_bound_are_in_flight(
    counting: CountingGemini, bound: int
) -> None:
    counting.scale = 0.25
    counting.delay_s = 0.2  # the provider's thinking time, so requests overlap
    provider = GeminiProvider(
        LocalizeGemini.key,
        default_model="gemini-2.5-flash-image",
        base_url=counting.url,
        request_timeout_s=10,
        retry=RetryPolicy(max_attempts=1),
    )
    localizer = GeminiLocalizer(provider, concurrency=bound)
    catalog = load_catalog()
    targets = ["japanese", "german", "french", "korean", "thai", "italian"]
    requests = [
        LocalizeRequest(
            image=AD,
            source_language=catalog.language("english"),
            target_language=catalog.language(target),
            market=catalog.market(catalog.language(target).default_market),
        )
        for target in targets
    ]

    made = await asyncio.gather(*(localizer.localize(r, in_thread) for r in requests))

    assert len(made) == len(targets) == len(counting.seen)
    assert counting.most == bound
