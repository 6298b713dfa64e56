"""The webhooks service records only the events of jobs that have a webhook: every
job's ``queued`` event says whether it has one, so the others cost it nothing."""

from __future__ import annotations

from unittest.mock import patch

import httpx
from tests.conftest import new_user
from tests.support.webhook_receiver import Receiver
from tests.webhooks.support import (
    Clock,
    finished_job,
    user_with_secret,
    wait_recorded,
    webhook_service,
)

from pictor.jobs.events import Event
from pictor.runtime import Runtime


async def test_the_events_of_a_job_without_a_webhook_never_reach_the_service(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    with patch.object(service, "record", wraps=service.record) as record:
        plain_user = await new_user(hook_runtime)
        body = {"kind": "test_flaky", "params": {"fail_times": 0}}
        headers = {**plain_user.headers, "Prefer": "wait=30"}
        plain = (await api.post("/v1/jobs", json=body, headers=headers)).json()
        assert plain["status"] == "succeeded", plain
        user, _ = await user_with_secret(hook_runtime, api)
        hooked = await finished_job(hook_runtime, api, user, receiver.url)
        await wait_recorded(hook_runtime)
    recorded: list[Event] = [call.args[0] for call in record.await_args_list]
    jobs = {event.job_id for event in recorded}
    assert hooked["id"] in jobs and plain["id"] not in jobs
    hooked_types = [e.type for e in recorded if e.job_id == hooked["id"]]
    assert hooked_types[0] == "queued" and hooked_types[-1] == "succeeded"
    [queued] = [e for e in recorded if e.job_id == hooked["id"] and e.type == "queued"]
    assert queued.data["webhook"] is True and queued.data["studio"] is False
