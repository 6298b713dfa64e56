"""Retries on the delivery's own schedule (driven by an injected clock): backoff after
a 500, giving up after retry_for_s, 410 Gone disabling the URL, the SSRF guard again
at delivery."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

import httpx
from tests.support.gates import Gate
from tests.support.webhook_receiver import Receiver
from tests.webhooks.support import (
    Clock,
    deliveries,
    finished_job,
    user_with_secret,
    wait_recorded,
    webhook_service,
)

from pictor.net.guard import NetworkPolicy
from pictor.runtime import Runtime


async def test_a_500_is_retried_with_backoff_until_it_succeeds(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user, _ = await user_with_secret(hook_runtime, api)
    receiver.statuses = [500, 503]
    job = await finished_job(hook_runtime, api, user, receiver.url)
    await service.run_due(clock.now)
    [delivery] = await deliveries(api, user, job_id=job["id"])
    assert delivery["status"] == "pending" and delivery["last_status_code"] == 500
    first_wait = datetime.fromisoformat(delivery["next_attempt_at"]) - clock.now
    assert 4 <= first_wait.total_seconds() <= 6  # 5 s +-20 %

    await service.run_due(clock.advance(3))
    assert len(receiver.received) == 1, "retried before its time"
    await service.run_due(clock.advance(3))
    [delivery] = await deliveries(api, user, job_id=job["id"])
    second_wait = datetime.fromisoformat(delivery["next_attempt_at"]) - clock.now
    assert 8 <= second_wait.total_seconds() <= 12  # doubled
    await service.run_due(clock.advance(12))

    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    [delivery] = await deliveries(api, user, job_id=job["id"])
    assert delivery["status"] == "succeeded" and delivery["next_attempt_at"] is None
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert all(a["duration_ms"] >= 0 for a in delivery["attempts"])
    assert delivery["attempts"][0]["error"] == "HTTP 500"


async def test_a_delivery_is_given_up_after_24_hours(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user, _ = await user_with_secret(hook_runtime, api)
    receiver.statuses = [500] * 1000
    job = await finished_job(hook_runtime, api, user, receiver.url)
    start = clock.now
    for _ in range(100):
        await service.run_due(clock.now)
        [delivery] = await deliveries(api, user, job_id=job["id"])
        if delivery["status"] != "pending":
            break
        clock.now = datetime.fromisoformat(delivery["next_attempt_at"])
    assert delivery["status"] == "failed"
    assert "gave up" in delivery["last_error"]
    attempts = [datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
    assert len(attempts) == len(receiver.received)
    assert (attempts[-1] - start).total_seconds() == 24 * 3600, "last try at the deadline"
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[0] < gaps[3] < gaps[8], "the delays grow"
    assert max(gaps) <= 3600 * 1.2, "no delay above the maximum (+jitter)"
    assert 20 <= len(attempts) <= 45
    await service.run_due(clock.advance(3600))
    assert len(receiver.received) == len(attempts), "a failed delivery is not sent again"


async def test_410_gone_disables_the_url_until_a_new_job_uses_it(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user, _ = await user_with_secret(hook_runtime, api)
    receiver.statuses = [410]
    async with Gate() as gate:
        body = {"kind": "test_block", "params": {"port": gate.port}, "webhook": receiver.url}
        held = (await api.post("/v1/jobs", json=body, headers=user.headers)).json()
        arrival = await gate.arrival()
        gone = await finished_job(hook_runtime, api, user, receiver.url)
        await service.run_due(clock.now)
        [delivery] = await deliveries(api, user, job_id=gone["id"])
        assert delivery["status"] == "disabled" and delivery["last_status_code"] == 410

        async with hook_runtime.bus.subscribe(held["id"]) as events:
            await arrival.release()
            while not (await asyncio.wait_for(events.get(), 30)).is_final:
                pass
    await wait_recorded(hook_runtime)
    await service.run_due(clock.advance(60))
    assert len(receiver.received) == 1, "nothing more is sent to a URL that said 410"
    [later] = await deliveries(api, user, job_id=held["id"])
    assert later["status"] == "disabled" and later["attempts"] == []

    again = await finished_job(hook_runtime, api, user, receiver.url)
    await service.run_due(clock.advance(1))
    assert len(receiver.received) == 2
    [delivery] = await deliveries(api, user, job_id=again["id"])
    assert delivery["status"] == "succeeded"


async def test_a_url_refused_at_delivery_fails_without_being_sent(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    """The URL passed the guard at submit; by delivery time its address is one the
    guard refuses (DNS changed, or the operator narrowed the allow list)."""
    service = webhook_service(hook_runtime)
    user, _ = await user_with_secret(hook_runtime, api)
    job = await finished_job(hook_runtime, api, user, receiver.url)
    allowed = service.sender.policy
    service.sender.policy = NetworkPolicy()  # public addresses only: 127.0.0.1 is not
    try:
        await service.run_due(clock.now)
    finally:
        service.sender.policy = allowed
    await service.run_due(clock.advance(3600))
    assert receiver.received == []
    [delivery] = await deliveries(api, user, job_id=job["id"])
    assert delivery["status"] == "failed"
    assert delivery["last_error"].startswith("url_not_allowed")
    assert delivery["attempts"][0]["status_code"] is None
