"""Job webhooks end to end with the delivery loop running on real time: signed per
Standard Webhooks, retried, and SSRF-guarded at submit. (tests/webhooks/ drives the
loop with its own clock for the rest.)"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import User, make_settings, new_user
from tests.support.webhook_receiver import webhook_receiver

from pictor.api.app import create_app
from pictor.runtime import Runtime, build_runtime
from pictor.webhooks.signing import WebhookSignatureInvalid, verify


@pytest.fixture
async def local_runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """Webhooks to loopback need the operator's allow list, as in a private deployment."""
    settings = make_settings(
        tmp_path, fetch={"allow": ["127.0.0.1"]}, webhooks={"backoff_base_s": 0.01}
    )
    runtime = build_runtime(settings)
    await runtime.start()
    yield runtime
    await runtime.stop()


async def test_a_finished_job_is_posted_to_its_webhook_signed_and_retried(
    local_runtime: Runtime,
) -> None:
    user = await new_user(local_runtime)
    transport = httpx.ASGITransport(app=create_app(runtime=local_runtime))
    async with (
        webhook_receiver(statuses=[503, 200]) as receiver,
        httpx.AsyncClient(transport=transport, base_url="http://t", headers=user.headers) as c,
    ):
        secret = (await c.post("/v1/webhooks/secret")).json()["secret"]
        assert secret.startswith("whsec_")
        body = {
            "kind": "test_flaky",
            "input": [],
            "params": {"fail_times": 0},
            "webhook": receiver.url,
        }
        job = (await c.post("/v1/jobs", json=body)).json()
        first, second = await receiver.wait_for(2, timeout_s=60)
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    verify(secret, second.headers, second.body)
    payload = json.loads(second.body)
    assert payload["type"] == "job.succeeded"
    assert payload["data"]["id"] == job["id"] and payload["data"]["status"] == "succeeded"
    with pytest.raises(WebhookSignatureInvalid):
        verify(secret, second.headers, second.body.replace(b"succeeded", b"failed"))


async def test_a_webhook_to_a_private_address_is_refused_at_submit(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.1.2.3/"]:
        body = {"kind": "test_flaky", "input": [], "params": {}, "webhook": url}
        response = await client.post("/v1/jobs", json=body, headers=user.headers)
        assert response.status_code == 422, url
        assert response.json()["error"]["code"] == "url_not_allowed"
    listed = (await client.get("/v1/jobs?kind=test_flaky", headers=user.headers)).json()
    assert listed["data"] == [], "no job may be created for a refused webhook"
