"""POST /v1/billing/webhook: signed events from the fake Stripe grant and take back credits."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import stripe as stripe_sdk
from sqlalchemy import Connection, update
from tests.billing.conftest import available, buy, post_event
from tests.billing.fake_stripe import WEBHOOK_SECRET, FakeStripe, signed
from tests.conftest import User, new_user

from pictor.billing.events import CHECKOUTS
from pictor.credits import audit, ledger
from pictor.runtime import Runtime


async def purchase(client: httpx.AsyncClient, user: User, session_id: str) -> dict[str, object]:
    response = await client.get(f"/v1/billing/purchases/{session_id}", headers=user.headers)
    assert response.status_code == 200
    return dict(response.json())


async def test_paid_completion_grants_the_pack_once(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user, "pro")
    event = stripe.event("checkout.session.completed", stripe.pay(session_id))

    response = await post_event(client, event)
    assert response.status_code == 200
    assert response.json() == {"received": True, "id": event["id"], "outcome": "granted"}
    assert await available(runtime, user) == before + 500
    bought = await purchase(client, user, session_id)
    assert bought["status"] == "paid" and bought["paid_at"]

    replay = await post_event(client, event)
    assert replay.status_code == 200
    assert replay.json()["outcome"] == "duplicate"
    assert await available(runtime, user) == before + 500


async def test_forged_missing_and_stale_signatures_are_400_and_store_nothing(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)
    event = stripe.event("checkout.session.completed", stripe.pay(session_id))
    body, headers = signed(event)

    forged = await post_event(client, event, secret="whsec_" + "not0the0secret")
    stale = await post_event(client, event, timestamp=int(time.time()) - 301)
    unsigned = await client.post("/v1/billing/webhook", content=body)
    tampered_body = body.replace(b'"paid"', b'"paid" ')
    tampered = await client.post("/v1/billing/webhook", content=tampered_body, headers=headers)
    garbled = await client.post(
        "/v1/billing/webhook", content=body, headers={"Stripe-Signature": "t=x,v1=zz"}
    )
    for response in (forged, stale, unsigned, tampered, garbled):
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_signature"
    assert await available(runtime, user) == before
    assert (await purchase(client, user, session_id))["status"] == "open"

    # Nothing was stored: the same event, properly signed, is new and grants.
    genuine = await client.post("/v1/billing/webhook", content=body, headers=headers)
    assert genuine.json()["outcome"] == "granted"
    assert await available(runtime, user) == before + 100


async def test_a_signature_inside_the_tolerance_is_accepted(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)
    event = stripe.event("checkout.session.completed", stripe.pay(session_id))
    response = await post_event(client, event, timestamp=int(time.time()) - 240)
    assert response.json()["outcome"] == "granted"
    assert await available(runtime, user) == before + 100


async def test_signed_body_that_is_not_an_event_is_400_invalid_payload(
    client: httpx.AsyncClient, stripe: FakeStripe
) -> None:
    for payload in ("not json", json.dumps({"object": "event"}), json.dumps([1, 2])):
        header = stripe_sdk.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
        response = await client.post(
            "/v1/billing/webhook", content=payload, headers={"Stripe-Signature": header}
        )
        assert response.status_code == 400, payload
        assert response.json()["error"]["code"] == "invalid_payload"


async def test_completion_and_async_success_of_one_session_grant_once(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)
    paid = stripe.pay(session_id)
    completed = stripe.event("checkout.session.completed", paid)
    succeeded = stripe.event("checkout.session.async_payment_succeeded", paid)
    again = stripe.event("checkout.session.completed", paid)  # a new event id, same session

    outcomes = [(await post_event(client, e)).json()["outcome"] for e in (completed, succeeded)]
    outcomes.append((await post_event(client, again)).json()["outcome"])
    assert outcomes == ["granted", "already_granted", "already_granted"]
    assert await available(runtime, user) == before + 100


async def test_racing_completion_events_grant_once(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user, "studio")
    paid = stripe.pay(session_id)
    events = [
        stripe.event("checkout.session.completed", paid),
        stripe.event("checkout.session.async_payment_succeeded", paid),
        stripe.event("checkout.session.completed", paid),
    ]
    replays = [events[0], events[0]]
    responses = await asyncio.gather(*(post_event(client, e) for e in [*events, *replays]))
    assert all(r.status_code == 200 for r in responses)
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes.count("granted") == 1
    assert outcomes.count("duplicate") == 2
    assert await available(runtime, user) == before + 3000
    assert await runtime.db.read(audit.check) == []


async def test_delayed_payment_grants_on_async_success_only(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)
    completed = stripe.event("checkout.session.completed", stripe.pay(session_id, delayed=True))
    assert (await post_event(client, completed)).json()["outcome"] == "not_paid"
    assert await available(runtime, user) == before
    assert (await purchase(client, user, session_id))["status"] == "processing"

    succeeded = stripe.event("checkout.session.async_payment_succeeded", stripe.settle(session_id))
    assert (await post_event(client, succeeded)).json()["outcome"] == "granted"
    assert await available(runtime, user) == before + 100
    assert (await purchase(client, user, session_id))["status"] == "paid"


async def test_delayed_payment_that_fails_grants_nothing(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)
    session = stripe.pay(session_id, delayed=True)
    await post_event(client, stripe.event("checkout.session.completed", session))
    failed = stripe.event("checkout.session.async_payment_failed", session)
    assert (await post_event(client, failed)).json()["outcome"] == "payment_failed"
    assert await available(runtime, user) == before
    assert (await purchase(client, user, session_id))["status"] == "failed"


async def test_full_refund_takes_the_pack_back(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user, "pro")
    await post_event(client, stripe.event("checkout.session.completed", stripe.pay(session_id)))
    refunded = stripe.event("charge.refunded", stripe.refund(session_id))
    assert (await post_event(client, refunded)).json()["outcome"] == "refund_applied"
    assert await available(runtime, user) == before
    bought = await purchase(client, user, session_id)
    assert (bought["refunded_amount"], bought["credits_refunded"]) == (3900, 500)


async def test_partial_refunds_take_back_in_proportion_in_any_order(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)  # 100 credits for 900 cents
    await post_event(client, stripe.event("checkout.session.completed", stripe.pay(session_id)))
    quarter = stripe.event("charge.refunded", stripe.refund(session_id, 225))
    half = stripe.event("charge.refunded", stripe.refund(session_id, 225))  # 450 in all

    # Stripe's amount_refunded is cumulative: the later event arriving first covers both.
    assert (await post_event(client, half)).json()["outcome"] == "refund_applied"
    assert await available(runtime, user) == before + 50
    assert (await post_event(client, quarter)).json()["outcome"] == "refund_already_applied"
    assert await available(runtime, user) == before + 50

    rest = stripe.event("charge.refunded", stripe.refund(session_id))
    assert (await post_event(client, rest)).json()["outcome"] == "refund_applied"
    assert await available(runtime, user) == before
    assert (await purchase(client, user, session_id))["credits_refunded"] == 100


async def test_refund_of_spent_credits_takes_what_is_left_and_records_it(
    client: httpx.AsyncClient, runtime: Runtime, stripe: FakeStripe
) -> None:
    buyer = await new_user(runtime, credits=0)
    session_id = await buy(client, buyer)
    await post_event(client, stripe.event("checkout.session.completed", stripe.pay(session_id)))

    def spend(conn: Connection) -> None:
        ledger.credit(conn, buyer.id, -80, entry="adjustment", cause_type="admin", cause_id="x")

    await runtime.db.write(spend)
    refunded = stripe.event("charge.refunded", stripe.refund(session_id))
    assert (await post_event(client, refunded)).json()["outcome"] == "refund_applied"
    assert await available(runtime, buyer) == 0
    bought = await purchase(client, buyer, session_id)
    assert (bought["refunded_amount"], bought["credits_refunded"]) == (900, 20)


async def test_refund_before_completion_is_applied_when_the_purchase_lands(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)
    paid = stripe.pay(session_id)
    refunded = stripe.event("charge.refunded", stripe.refund(session_id, 450))

    assert (await post_event(client, refunded)).json()["outcome"] == "refund_pending"
    assert await available(runtime, user) == before
    completed = stripe.event("checkout.session.completed", paid)
    assert (await post_event(client, completed)).json()["outcome"] == "granted"
    assert await available(runtime, user) == before + 50
    bought = await purchase(client, user, session_id)
    assert (bought["refunded_amount"], bought["credits_refunded"]) == (450, 50)


async def test_racing_refund_and_completion_end_with_the_refund_applied(
    client: httpx.AsyncClient, runtime: Runtime, stripe: FakeStripe
) -> None:
    buyers = [await new_user(runtime, credits=0) for _ in range(4)]
    events = []
    for buyer in buyers:
        session_id = await buy(client, buyer)
        paid = stripe.pay(session_id)
        events += [
            stripe.event("checkout.session.completed", paid),
            stripe.event("charge.refunded", stripe.refund(session_id)),
        ]
    responses = await asyncio.gather(*(post_event(client, e) for e in events))
    assert all(r.status_code == 200 for r in responses)
    assert [await available(runtime, b) for b in buyers] == [0, 0, 0, 0]
    assert await runtime.db.read(audit.check) == []


async def test_unknown_types_and_foreign_sessions_are_acknowledged_and_ignored(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    unknown = stripe.event("invoice.paid", {"id": "in_123", "object": "invoice"})
    response = await post_event(client, unknown)
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert (await post_event(client, unknown)).json()["outcome"] == "duplicate"

    # A session made by something else on the same Stripe account (no pictor metadata).
    foreign = {
        "id": "cs_test_foreign",
        "object": "checkout.session",
        "payment_status": "paid",
        "amount_total": 900,
        "currency": "usd",
        "metadata": {},
        "payment_intent": "pi_foreign",
    }
    answer = await post_event(client, stripe.event("checkout.session.completed", foreign))
    assert answer.json()["outcome"] == "unknown_session"
    assert await available(runtime, user) == before


async def test_a_purchase_whose_session_id_was_not_stored_is_found_by_its_metadata(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stripe: FakeStripe
) -> None:
    before = await available(runtime, user)
    session_id = await buy(client, user)

    def lose(conn: Connection) -> None:
        conn.execute(
            update(CHECKOUTS)
            .where(CHECKOUTS.c.stripe_session_id == session_id)
            .values(stripe_session_id=None, status="pending")
        )

    await runtime.db.write(lose)
    completed = stripe.event("checkout.session.completed", stripe.pay(session_id))
    assert (await post_event(client, completed)).json()["outcome"] == "granted"
    assert await available(runtime, user) == before + 100
    assert (await purchase(client, user, session_id))["status"] == "paid"
