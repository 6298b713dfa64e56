"""POST /v1/billing/checkout through the real SDK against the fake Stripe."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from tests.billing.conftest import APP_ORIGIN, buy
from tests.billing.fake_stripe import API_KEY, FakeStripe
from tests.conftest import User

from pictor.runtime import Runtime


async def test_checkout_creates_a_stripe_session_for_the_pack(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe
) -> None:
    response = await client.post("/v1/billing/checkout", json={"pack": "pro"}, headers=user.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("cs_test_")
    assert body["url"].startswith("https://checkout.stripe.com/c/pay/" + body["id"])
    assert (body["pack"], body["credits"], body["amount"], body["currency"]) == (
        "pro",
        500,
        3900,
        "usd",
    )
    assert body["status"] == "open" and body["expires_at"]

    [sent] = stripe.requests
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["idempotency-key"].startswith("pictor-checkout-")
    params = sent.params
    assert params["mode"] == "payment"
    assert params["line_items"] == [
        {
            "quantity": "1",
            "price_data": {
                "currency": "usd",
                "unit_amount": "3900",
                "product_data": {"name": "500 pictor credits"},
            },
        }
    ]
    assert params["client_reference_id"] == user.id
    assert params["metadata"]["user_id"] == user.id
    assert (params["metadata"]["pack"], params["metadata"]["credits"]) == ("pro", "500")
    assert params["metadata"]["checkout_id"].startswith("chk_")
    assert params["payment_intent_data"]["metadata"] == params["metadata"]
    assert params["success_url"] == (
        "http://pictor.test/billing/success?session_id={CHECKOUT_SESSION_ID}"
    )
    assert params["cancel_url"] == "http://pictor.test/billing/cancel"


async def test_packs_come_from_settings_and_are_listed(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe, configure: Any
) -> None:
    configure(packs={"tiny": {"credits": 7, "amount": 150, "name": "Seven"}}, currency="EUR")
    listed = (await client.get("/v1/billing/packs")).json()
    assert listed == {
        "packs": [
            {"name": "tiny", "label": "Seven", "credits": 7, "amount": 150, "currency": "eur"}
        ],
        "available": True,
    }
    response = await client.post(
        "/v1/billing/checkout", json={"pack": "tiny"}, headers=user.headers
    )
    assert response.status_code == 201
    price = stripe.requests[0].params["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("eur", "150")

    refused = await client.post(
        "/v1/billing/checkout", json={"pack": "starter"}, headers=user.headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_pack"
    assert refused.json()["error"]["details"]["packs"] == ["tiny"]


async def test_same_idempotency_key_replays_the_session(
    client: httpx.AsyncClient, user: User, other_user: User, stripe: FakeStripe
) -> None:
    headers = {**user.headers, "Idempotency-Key": "buy-1"}
    first = await client.post("/v1/billing/checkout", json={"pack": "starter"}, headers=headers)
    again = await client.post("/v1/billing/checkout", json={"pack": "starter"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(stripe.requests) == 1

    other = await client.post("/v1/billing/checkout", json={"pack": "pro"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"

    # The key is the caller's own: another user's "buy-1" is another checkout.
    theirs = await client.post(
        "/v1/billing/checkout",
        json={"pack": "starter"},
        headers={**other_user.headers, "Idempotency-Key": "buy-1"},
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]
    keys = {r.headers["idempotency-key"] for r in stripe.requests}
    assert len(keys) == 2


async def test_without_a_key_each_request_is_a_new_session(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe
) -> None:
    ids = {await buy(client, user), await buy(client, user)}
    assert len(ids) == 2
    assert len({r.headers["idempotency-key"] for r in stripe.requests}) == 2


async def test_sdk_retry_after_a_stripe_500_reuses_the_idempotency_key(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe, configure: Any
) -> None:
    configure(stripe_max_network_retries=1)
    stripe.failures.append((500, "api_error"))
    session_id = await buy(client, user)
    assert len(stripe.requests) == 2
    first, second = stripe.requests
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert list(stripe.sessions) == [session_id]


async def test_stripe_failure_is_503_and_leaves_no_purchase(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe
) -> None:
    stripe.failures.append((500, "api_error"))
    response = await client.post(
        "/v1/billing/checkout", json={"pack": "starter"}, headers=user.headers
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_provider_error"
    listed = await client.get("/v1/billing/purchases", headers=user.headers)
    assert listed.json() == {"items": []}


async def test_a_key_stripe_refuses_is_billing_unavailable(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe, configure: Any
) -> None:
    configure(stripe_secret_key="sk_test_" + "wrong0key0000")
    response = await client.post(
        "/v1/billing/checkout", json={"pack": "starter"}, headers=user.headers
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_unavailable"
    assert "wrong0key" not in response.text
    assert stripe.sessions == {}


async def test_not_configured_is_503_billing_unavailable(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    assert runtime.settings.billing.stripe_secret_key is None
    response = await client.post(
        "/v1/billing/checkout", json={"pack": "starter"}, headers=user.headers
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_unavailable"
    assert "PICTOR_BILLING_STRIPE_SECRET_KEY" in response.json()["error"]["message"]
    assert (await client.get("/v1/billing/packs")).json()["available"] is False
    webhook = await client.post("/v1/billing/webhook", content=b"{}")
    assert webhook.status_code == 503
    assert webhook.json()["error"]["code"] == "billing_unavailable"


async def test_client_redirects_must_be_on_an_allowed_origin(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe
) -> None:
    ok = await client.post(
        "/v1/billing/checkout",
        json={
            "pack": "starter",
            "success_url": f"{APP_ORIGIN}/thanks?s={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{APP_ORIGIN}:443/shop",
        },
        headers=user.headers,
    )
    assert ok.status_code == 201, ok.text
    sent = stripe.requests[0].params
    assert sent["success_url"] == f"{APP_ORIGIN}/thanks?s={{CHECKOUT_SESSION_ID}}"
    assert sent["cancel_url"] == f"{APP_ORIGIN}:443/shop"

    bad = [
        ("success_url", "javascript:alert(document.cookie)"),
        ("success_url", "https://evil.example/thanks"),
        ("cancel_url", "http://app.example.com/shop"),  # another scheme: another origin
        ("cancel_url", "https://user:pw@app.example.com/shop"),
        ("success_url", "https://app.example.com.evil.example/"),
        ("success_url", "//app.example.com/x"),
        ("success_url", "data:text/html,hi"),
        ("cancel_url", "https://app.example.com/a b"),
    ]
    for field, url in bad:
        response = await client.post(
            "/v1/billing/checkout", json={"pack": "starter", field: url}, headers=user.headers
        )
        assert response.status_code == 422, url
        assert response.json()["error"]["code"] == "invalid_redirect_url", url
        assert response.json()["error"]["field"] == field
    assert len(stripe.requests) == 1


async def test_checkout_needs_an_api_key_and_refuses_owner_fields(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe
) -> None:
    anonymous = await client.post("/v1/billing/checkout", json={"pack": "starter"})
    assert anonymous.status_code == 401
    smuggled = await client.post(
        "/v1/billing/checkout",
        json={"pack": "starter", "credits": 1_000_000, "user_id": "usr_x"},
        headers=user.headers,
    )
    assert smuggled.status_code == 422
    assert stripe.requests == []


async def test_purchases_are_the_callers_own(
    client: httpx.AsyncClient, user: User, other_user: User, stripe: FakeStripe
) -> None:
    session_id = await buy(client, user)
    mine = await client.get(f"/v1/billing/purchases/{session_id}", headers=user.headers)
    assert mine.status_code == 200
    assert mine.json()["status"] == "open"
    assert (await client.get("/v1/billing/purchases", headers=user.headers)).json()["items"][0][
        "id"
    ] == session_id

    theirs = await client.get(f"/v1/billing/purchases/{session_id}", headers=other_user.headers)
    assert theirs.status_code == 404
    listed = await client.get("/v1/billing/purchases", headers=other_user.headers)
    assert listed.json() == {"items": []}
    assert (await client.get("/v1/billing/purchases")).status_code == 401


async def test_openapi_documents_the_billing_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/v1/billing/packs", "/v1/billing/checkout", "/v1/billing/purchases"):
        assert path in paths
    webhook = paths["/v1/billing/webhook"]["post"]
    assert [p["name"] for p in webhook["parameters"]] == ["Stripe-Signature"]
    assert "security" not in webhook


async def test_racing_requests_with_one_key_get_one_session(
    client: httpx.AsyncClient, user: User, stripe: FakeStripe
) -> None:
    headers = {**user.headers, "Idempotency-Key": "double-click"}
    responses = await asyncio.gather(
        *(
            client.post("/v1/billing/checkout", json={"pack": "pro"}, headers=headers)
            for _ in range(4)
        )
    )
    assert all(r.status_code in (200, 201) for r in responses)
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(stripe.sessions) == 1
    listed = await client.get("/v1/billing/purchases", headers=user.headers)
    assert len(listed.json()["items"]) == 1
