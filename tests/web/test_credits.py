"""Credits: the balance in the header at both widths, and buying a pack through Stripe
Checkout (a fake of Stripe's API on loopback, the same as tests/billing's)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect
from tests.billing.fake_stripe import API_KEY, WEBHOOK_SECRET, FakeStripe, signed
from tests.web.server import PictorServer
from tests.web.threaded import threaded_server

STRIPE_PAGE = re.compile(r"^https://checkout\.stripe\.com/")


@pytest.fixture(scope="module")
def stripe() -> Iterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()
    with threaded_server(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def billing_server(
    start_pictor: Callable[..., contextlib.AbstractContextManager[PictorServer]],
    stripe: tuple[FakeStripe, str],
) -> Iterator[PictorServer]:
    env = {
        "PICTOR_BILLING_STRIPE_SECRET_KEY": API_KEY,
        "PICTOR_BILLING_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PICTOR_BILLING_STRIPE_API_BASE": stripe[1],
        "PICTOR_BILLING_STRIPE_MAX_NETWORK_RETRIES": "0",
    }
    with start_pictor(env) as server:
        yield server


def available(server: PictorServer, email: str, password: str) -> int:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        login = client.post("/v1/auth/login", json={"email": email, "password": password})
        token = login.json()["access_token"]
        credits = client.get("/v1/credits", headers={"Authorization": f"Bearer {token}"})
        return int(credits.json()["available"])


def test_the_balance_is_in_the_header_at_every_width(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., tuple[str, str]]
) -> None:
    email, password = signed_in(page_at, pictor_server)
    balance = page_at.locator("#credits-balance")
    expect(balance).to_have_text(str(available(pictor_server, email, password)))
    expect(balance).to_be_in_viewport()
    for view in ("gallery", "credits"):
        page_at.goto(f"{pictor_server.url}/#/{view}")
        expect(page_at.get_by_role("link", name=re.compile(r"\d+ credits"))).to_be_in_viewport()


def test_the_credits_view_shows_balance_and_history(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., tuple[str, str]]
) -> None:
    email, password = signed_in(page_at, pictor_server)
    page_at.get_by_role("link", name=re.compile(r"\d+ credits")).click()
    expect(page_at.get_by_role("heading", name="Credits", level=1)).to_be_visible()
    amount = str(available(pictor_server, email, password))
    expect(page_at.locator("#credits-available")).to_have_text(amount)
    expect(page_at.locator("#credits-reserved")).to_have_text("0")
    history = page_at.get_by_role("table")
    expect(history.get_by_role("row").filter(has_text="Sign-up grant")).to_have_count(1)
    expect(history.get_by_role("row").filter(has_text="web tests")).to_have_count(1)
    # Without a Stripe key, the page says so instead of offering packs.
    expect(page_at.get_by_text("Buying credits is not set up on this server")).to_be_visible()


def _fake_checkout_page(seen: list[str]) -> Callable[[Route], None]:
    def fulfil(route: Route) -> None:
        seen.append(route.request.url)
        body = "<!doctype html><title>Stripe Checkout</title><h1>Fake Stripe Checkout</h1>"
        route.fulfill(status=200, content_type="text/html", body=body)

    return fulfil


def test_buy_goes_to_stripe_checkout_and_back(
    page_at: Page,
    billing_server: PictorServer,
    stripe: tuple[FakeStripe, str],
    signed_in: Callable[..., tuple[str, str]],
    check_accessibility: Callable[[Page], None],
) -> None:
    fake, _ = stripe
    page = page_at
    email, password = signed_in(page, billing_server)
    before = available(billing_server, email, password)
    seen: list[str] = []
    page.route(STRIPE_PAGE, _fake_checkout_page(seen))
    page.get_by_role("link", name="Credits", exact=True).click()
    starter = page.get_by_role("listitem").filter(has_text="100 pictor credits")
    expect(page.get_by_role("listitem").filter(has_text="pictor credits")).to_have_count(3)
    check_accessibility(page)
    starter.get_by_role("button", name=re.compile(r"^Buy for")).click()

    expect(page.get_by_role("heading", name="Fake Stripe Checkout")).to_be_visible()
    mine = [s for s in fake.sessions.values() if s["metadata"].get("pack") == "starter"]
    session = next(s for s in mine if s["url"].split("#")[0] in seen[-1])
    assert page.url == session["url"], "the browser is at the URL pictor returned"
    assert session["success_url"].startswith(billing_server.url + "/?checkout=success")

    # The buyer pays on Stripe's page; Stripe tells pictor, and sends the buyer back.
    _deliver(billing_server, fake.event("checkout.session.completed", fake.pay(session["id"])))
    page.goto(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
    expect(page.get_by_role("status").filter(has_text="100 credits were added")).to_be_visible()
    expect(page.locator("#credits-balance")).to_have_text(str(before + 100))
    expect(page.locator("#credits-available")).to_have_text(str(before + 100))
    history = page.get_by_role("table")
    expect(history.get_by_role("row").filter(has_text="Purchase")).to_have_count(1)
    check_accessibility(page)


def test_a_canceled_checkout_says_nothing_was_charged(
    page_at: Page,
    billing_server: PictorServer,
    stripe: tuple[FakeStripe, str],
    signed_in: Callable[..., tuple[str, str]],
) -> None:
    fake, _ = stripe
    page = page_at
    signed_in(page, billing_server)
    seen: list[str] = []
    page.route(STRIPE_PAGE, _fake_checkout_page(seen))
    page.goto(f"{billing_server.url}/#/credits")
    pro = page.get_by_role("listitem").filter(has_text="500 pictor credits")
    pro.get_by_role("button", name=re.compile(r"^Buy for")).click()
    expect(page.get_by_role("heading", name="Fake Stripe Checkout")).to_be_visible()
    session = next(s for s in fake.sessions.values() if s["url"] == page.url)
    page.goto(session["cancel_url"])
    expect(page.get_by_role("status").filter(has_text="Checkout canceled")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/credits\?checkout=cancel"))


def _deliver(server: PictorServer, event: dict[str, Any]) -> None:
    body, headers = signed(event)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.post("/v1/billing/webhook", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "granted"
