"""The studio's follower of job events looks up only the jobs of studio messages: every
job's ``queued`` event says whether it serves one."""

from __future__ import annotations

from unittest.mock import patch

import httpx
from tests.conftest import User
from tests.studio.support import finished, new_session, send, studio, upload_png

from pictor.runtime import Runtime


async def test_only_the_end_of_a_studio_job_is_looked_up(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    target = studio(runtime)
    with patch.object(target, "job_ended", wraps=target.job_ended) as job_ended:
        plain = await client.post(
            "/v1/jobs",
            json={"kind": "test_flaky", "params": {"fail_times": 0}},
            headers={**user.headers, "Prefer": "wait=30"},
        )
        assert plain.status_code == 201 and plain.json()["status"] == "succeeded", plain.text
        session_id = await new_session(client, user)
        upload_id = await upload_png(client, user)
        answer = await send(client, user, session_id, "remove the background", [upload_id])
        done = await finished(client, runtime, user, answer)
    looked_up = [call.args[0] for call in job_ended.await_args_list]
    assert done["status"] == "done", done
    # The plain job ended first; its final event was dropped before the follower's queue
    # (other tests' jobs may end meanwhile: only these two are asked about).
    assert done["job_id"] in looked_up and plain.json()["id"] not in looked_up
    events = await client.get(f"/v1/jobs/{done['job_id']}/events", headers=user.headers)
    assert '"studio":true' in events.text.replace(" ", "")
