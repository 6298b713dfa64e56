"""What a receiver gets: Standard Webhooks signatures with the secret shown once,
the events it asked for, throttled progress, and rotation with a grace period."""

from __future__ import annotations

import asyncio

import httpx
from tests.conftest import new_user
from tests.support.gates import Gate
from tests.support.webhook_receiver import Receiver
from tests.webhooks.support import (
    Clock,
    deliveries,
    finished_job,
    user_with_secret,
    verify_standard_webhook,
    wait_recorded,
    webhook_service,
)

from pictor.runtime import Runtime


async def test_the_secret_is_shown_once_and_signs_every_delivery(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    user = await new_user(hook_runtime)
    state = (await api.get("/v1/webhooks/secret", headers=user.headers)).json()
    assert state["exists"] is False
    user, secret = await user_with_secret(hook_runtime, api)
    assert secret.startswith("whsec_") and len(secret) >= len("whsec_") + 32
    state = (await api.get("/v1/webhooks/secret", headers=user.headers)).json()
    assert state["exists"] is True and "secret" not in state
    assert secret not in (await api.get("/v1/webhooks/secret", headers=user.headers)).text

    job = await finished_job(hook_runtime, api, user, receiver.url)
    await webhook_service(hook_runtime).run_due(clock.now)

    [got] = receiver.received
    now = int(clock.now.timestamp())
    assert verify_standard_webhook(secret, got.headers, got.body, now)
    tampered = got.body.replace(b"succeeded", b"failed")
    assert not verify_standard_webhook(secret, got.headers, tampered, now)
    _, other_secret = await user_with_secret(hook_runtime, api)
    assert not verify_standard_webhook(other_secret, got.headers, got.body, now)
    assert got.headers["content-type"] == "application/json"
    assert got.payload["type"] == "job.succeeded"
    assert got.payload["data"]["id"] == job["id"]
    assert got.payload["data"]["status"] == "succeeded"
    [delivery] = await deliveries(api, user, job_id=job["id"])
    assert got.headers["webhook-id"] == delivery["id"]
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


async def test_a_webhook_needs_a_secret_first(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    user = await new_user(hook_runtime)
    body = {"kind": "test_flaky", "params": {}, "webhook": receiver.url}
    refused = await api.post("/v1/jobs", json=body, headers=user.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "webhook_secret_missing"
    listed = (await api.get("/v1/jobs", headers=user.headers)).json()
    assert listed["data"] == [], "no job may be created without a secret to sign its webhook"


async def test_webhook_events_are_validated(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    user, _ = await user_with_secret(hook_runtime, api)
    for events, webhook in [(["finished"], receiver.url), (["start"], None), ("start", None)]:
        body = {"kind": "test_flaky", "params": {}, "webhook_events": events}
        if webhook:
            body["webhook"] = webhook
        refused = await api.post("/v1/jobs", json=body, headers=user.headers)
        assert refused.status_code == 422, (events, webhook)
    assert (await api.get("/v1/jobs", headers=user.headers)).json()["data"] == []


async def test_only_the_events_asked_for_are_sent_and_the_final_one_always(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    user, _ = await user_with_secret(hook_runtime, api)
    plain = await finished_job(hook_runtime, api, user, receiver.url)
    started = await finished_job(hook_runtime, api, user, receiver.url, ["start"])
    every = await finished_job(
        hook_runtime, api, user, receiver.url, ["start", "progress", "completed"]
    )
    await webhook_service(hook_runtime).run_due(clock.now)

    by_job: dict[str, list[str]] = {}
    for got in receiver.received:
        by_job.setdefault(got.payload["data"]["id"], []).append(got.payload["type"])
    assert sorted(by_job[plain["id"]]) == ["job.succeeded"]
    assert sorted(by_job[started["id"]]) == ["job.running", "job.succeeded"]
    assert sorted(by_job[every["id"]]) == ["job.progress", "job.running", "job.succeeded"]
    assert len({got.headers["webhook-id"] for got in receiver.received}) == 6


async def test_progress_is_throttled_and_the_latest_wins(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user, _ = await user_with_secret(hook_runtime, api)
    async with Gate() as gate:
        body = {
            "kind": "test_steps",
            "params": {"port": gate.port, "steps": 3},
            "webhook": receiver.url,
            "webhook_events": ["progress"],
        }
        job = (await api.post("/v1/jobs", json=body, headers=user.headers)).json()
        step0 = await gate.arrival()
        await wait_recorded(hook_runtime)
        await service.run_due(clock.now)
        assert [r.payload["data"]["progress"] for r in receiver.received] == [0]

        await step0.release()
        step1 = await gate.arrival()  # progress 33, within 2 s of the last one sent
        await step1.release()
        step2 = await gate.arrival()  # progress 66 replaces it
        await wait_recorded(hook_runtime)
        await service.run_due(clock.advance(1.9))
        assert len(receiver.received) == 1, "a second progress within the interval"
        await service.run_due(clock.advance(0.2))
        assert [r.payload["data"]["progress"] for r in receiver.received] == [0, 66]

        async with hook_runtime.bus.subscribe(job["id"]) as events:
            await step2.release()
            while not (await asyncio.wait_for(events.get(), 30)).is_final:
                pass
    await wait_recorded(hook_runtime)
    await service.run_due(clock.advance(0.1))
    types = [r.payload["type"] for r in receiver.received]
    assert types == ["job.progress", "job.progress", "job.succeeded"]


async def test_after_a_rotation_both_secrets_sign_for_the_grace_period(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user, first = await user_with_secret(hook_runtime, api)
    rotated = await api.post("/v1/webhooks/secret", headers=user.headers)
    assert rotated.status_code == 201
    second = rotated.json()["secret"]
    assert second != first and rotated.json()["previous_expires_at"] is not None

    await finished_job(hook_runtime, api, user, receiver.url)
    await service.run_due(clock.now)
    during = receiver.received[-1]
    now = int(clock.now.timestamp())
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify_standard_webhook(second, during.headers, during.body, now)
    assert verify_standard_webhook(first, during.headers, during.body, now)

    clock.advance(25 * 3600)
    await finished_job(hook_runtime, api, user, receiver.url)
    await service.run_due(clock.now)
    after = receiver.received[-1]
    now = int(clock.now.timestamp())
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verify_standard_webhook(second, after.headers, after.body, now)
    assert not verify_standard_webhook(first, after.headers, after.body, now)


async def test_two_first_secrets_made_at_once_both_sign(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    user = await new_user(hook_runtime)
    made = await asyncio.gather(
        *(api.post("/v1/webhooks/secret", headers=user.headers) for _ in range(2))
    )
    assert [m.status_code for m in made] == [201, 201]
    await finished_job(hook_runtime, api, user, receiver.url)
    await webhook_service(hook_runtime).run_due(clock.now)
    [got] = receiver.received
    now = int(clock.now.timestamp())
    for answer in made:
        assert verify_standard_webhook(answer.json()["secret"], got.headers, got.body, now)
