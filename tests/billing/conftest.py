"""Billing fixtures: the fake Stripe on loopback, and the runtime pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from tests.billing.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe, signed
from tests.conftest import User
from tests.support.server import live_server

from pictor.billing.settings import BillingSettings
from pictor.credits import ledger
from pictor.runtime import Runtime

APP_ORIGIN = "https://app.example.com"


@pytest.fixture(scope="session")
async def stripe_server() -> AsyncIterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()
    async with live_server(fake.app()) as url:  # type: ignore[arg-type]
        yield fake, url


def billing_settings(api_base: str, **overrides: Any) -> BillingSettings:
    values: dict[str, Any] = {
        "stripe_secret_key": SecretStr(API_KEY),
        "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
        "stripe_api_base": api_base,
        "stripe_max_network_retries": 0,
        "redirect_origins": [APP_ORIGIN],
    }
    values.update(overrides)
    return BillingSettings.model_validate(values)


@pytest.fixture
def configure(runtime: Runtime, stripe_server: tuple[FakeStripe, str]) -> Iterator[Any]:
    """Call with BillingSettings fields to change the runtime's billing settings (the
    router reads them per request); the originals come back after the test."""
    original = runtime.settings.billing
    _, url = stripe_server

    def apply(**overrides: Any) -> None:
        runtime.settings.billing = billing_settings(url, **overrides)

    yield apply
    runtime.settings.billing = original


@pytest.fixture
def stripe(configure: Any, stripe_server: tuple[FakeStripe, str]) -> Iterator[FakeStripe]:
    """The fake Stripe, empty, with pictor configured to use it."""
    fake, _ = stripe_server
    fake.reset()
    configure()
    yield fake
    fake.reset()


async def post_event(
    client: httpx.AsyncClient, event: dict[str, Any], **sign: Any
) -> httpx.Response:
    body, headers = signed(event, **sign)
    return await client.post("/v1/billing/webhook", content=body, headers=headers)


async def available(runtime: Runtime, user: User) -> int:
    return (await runtime.db.read(lambda conn: ledger.balance(conn, user.id))).available


async def buy(client: httpx.AsyncClient, user: User, pack: str = "starter") -> str:
    """A checkout by ``user``; returns the Checkout Session id."""
    response = await client.post("/v1/billing/checkout", json={"pack": pack}, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
