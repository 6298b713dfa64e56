"""GET /v1/webhooks/deliveries (filters, cursor), one delivery, retry; another user's
deliveries are 404 everywhere."""

from __future__ import annotations

import httpx
from tests.support.webhook_receiver import Receiver
from tests.webhooks.support import (
    Clock,
    deliveries,
    finished_job,
    user_with_secret,
    webhook_service,
)

from pictor.runtime import Runtime


async def test_deliveries_are_listed_with_filters_and_a_cursor(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    user, _ = await user_with_secret(hook_runtime, api)
    receiver.statuses = [500]
    jobs = [await finished_job(hook_runtime, api, user, receiver.url) for _ in range(3)]
    await webhook_service(hook_runtime).run_due(clock.now)

    everything = await deliveries(api, user)
    assert len(everything) == 3
    assert [d["job_id"] for d in everything] == [j["id"] for j in reversed(jobs)]
    assert [d["type"] for d in everything] == ["job.succeeded"] * 3
    assert sorted(d["status"] for d in everything) == ["pending", "succeeded", "succeeded"]
    [pending] = await deliveries(api, user, status="pending")
    assert pending["attempts"][0]["status_code"] == 500
    assert pending["payload"]["data"]["id"] == pending["job_id"]
    [one] = await deliveries(api, user, job_id=jobs[1]["id"])
    assert one["job_id"] == jobs[1]["id"]
    assert await deliveries(api, user, batch_id="bat_none") == []

    page = (
        await api.get("/v1/webhooks/deliveries", params={"limit": 2}, headers=user.headers)
    ).json()
    assert page["has_more"] is True and len(page["data"]) == 2
    rest = (
        await api.get(
            "/v1/webhooks/deliveries",
            params={"limit": 2, "cursor": page["next_cursor"]},
            headers=user.headers,
        )
    ).json()
    assert rest["has_more"] is False
    assert [d["id"] for d in page["data"] + rest["data"]] == [d["id"] for d in everything]

    got = await api.get(f"/v1/webhooks/deliveries/{one['id']}", headers=user.headers)
    assert got.status_code == 200 and got.json() == one

    bad = await api.get("/v1/webhooks/deliveries?status=lost", headers=user.headers)
    assert bad.status_code == 422


async def test_another_users_deliveries_are_not_found(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    owner, _ = await user_with_secret(hook_runtime, api)
    other, _ = await user_with_secret(hook_runtime, api)
    job = await finished_job(hook_runtime, api, owner, receiver.url)
    await webhook_service(hook_runtime).run_due(clock.now)
    [delivery] = await deliveries(api, owner, job_id=job["id"])

    for method, path in [
        ("GET", f"/v1/webhooks/deliveries/{delivery['id']}"),
        ("POST", f"/v1/webhooks/deliveries/{delivery['id']}/retry"),
    ]:
        answer = await api.request(method, path, headers=other.headers)
        assert answer.status_code == 404, path
        assert answer.json()["error"]["code"] == "webhook_delivery_not_found"
    assert await deliveries(api, other, job_id=job["id"]) == []
    assert await deliveries(api, other) == []
    for path in ["/v1/webhooks/deliveries", f"/v1/webhooks/deliveries/{delivery['id']}"]:
        assert (await api.get(path)).status_code == 401


async def test_a_delivery_can_be_sent_again(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user, _ = await user_with_secret(hook_runtime, api)
    receiver.statuses = [410]
    job = await finished_job(hook_runtime, api, user, receiver.url)
    await service.run_due(clock.now)
    [delivery] = await deliveries(api, user, job_id=job["id"])
    assert delivery["status"] == "disabled"

    retried = await api.post(
        f"/v1/webhooks/deliveries/{delivery['id']}/retry", headers=user.headers
    )
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    again = await api.post(f"/v1/webhooks/deliveries/{delivery['id']}/retry", headers=user.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "webhook_delivery_pending"
    await service.run_due(clock.advance(60))  # the retry is due at the server's "now"
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    [delivery] = await deliveries(api, user, job_id=job["id"])
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [410, 200]
