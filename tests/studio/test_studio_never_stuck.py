"""A message always ends: jobs that end unheard and routing cut short are found."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Connection
from tests.conftest import User
from tests.studio.support import finished, new_session, send, studio, upload_png

from pictor.api.streams import follow_job
from pictor.db.base import utcnow
from pictor.ids import new_id
from pictor.jobs.service import Submission, submit_job
from pictor.pipelines.remove_background import RemoveBackgroundParams
from pictor.runtime import Runtime
from pictor.studio import repository as repo
from pictor.studio.background import StudioService
from pictor.studio.routing import job_key


@pytest.fixture
async def stopped_service(runtime: Runtime) -> AsyncIterator[StudioService]:
    """The studio's background service, stopped for the test (started again after)."""
    service = runtime.services["studio"]
    assert isinstance(service, StudioService)
    await service.stop()
    try:
        yield service
    finally:
        await service.stop()
        await service.start()


async def job_end(runtime: Runtime, job_id: str) -> str:
    async for event in follow_job(runtime, job_id):
        if event is not None and event.is_final:
            return event.type
    raise AssertionError("no final event")


async def test_a_job_that_ended_while_the_service_was_stopped_ends_its_message_at_start(
    client: httpx.AsyncClient, runtime: Runtime, user: User, stopped_service: StudioService
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    answer = await send(client, user, session_id, "remove the background", [upload_id])
    assert await job_end(runtime, answer["job_id"]) == "succeeded"

    path = f"/v1/studio/sessions/{session_id}/messages/{answer['id']}"
    unheard = (await client.get(path, headers=user.headers)).json()
    assert unheard["status"] == "processing", "nobody listened when the job ended"

    await stopped_service.start()
    ended = (await client.get(path, headers=user.headers)).json()
    assert ended["status"] == "done"
    assert len(ended["output_ids"]) == 1
    session = (await client.get(f"/v1/studio/sessions/{session_id}", headers=user.headers)).json()
    assert session["last_image_id"] == ended["output_ids"][0]


def _stranded(
    session_id: str, owner_id: str, message_id: str, minutes_ago: int
) -> dict[str, object]:
    posted = utcnow() - timedelta(minutes=minutes_ago)
    return {
        "id": message_id,
        "session_id": session_id,
        "owner_id": owner_id,
        "role": "assistant",
        "status": "processing",
        "created_at": posted,
        "updated_at": posted,
    }


async def strand(runtime: Runtime, session_id: str, owner_id: str, minutes_ago: int) -> str:
    """An assistant message left processing without a job, as a server that died while
    routing it would leave it."""
    message_id = new_id("msg")

    def unit(conn: Connection) -> None:
        values = _stranded(session_id, owner_id, message_id, minutes_ago)
        repo.insert_message(conn, {**values, "seq": repo.next_seq(conn, session_id)})

    await runtime.db.write(unit)
    return message_id


async def test_a_message_whose_routing_was_cut_short_is_failed_or_linked_by_the_sweep(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    lost = await strand(runtime, session_id, user.id, minutes_ago=60)
    recent = await strand(runtime, session_id, user.id, minutes_ago=0)
    submitted = await strand(runtime, session_id, user.id, minutes_ago=60)
    # This one had submitted its job (keyed by the message) before its server died.
    job = await submit_job(
        runtime.db,
        runtime.bus,
        runtime.catalog,
        runtime.engines,
        user.id,
        Submission(
            kind="remove_background",
            upload_ids=[upload_id],
            params=RemoveBackgroundParams(),
            idempotency_key=job_key(submitted),
        ),
        max_attempts=1,
    )
    assert runtime.queue is not None
    await runtime.queue.enqueue(job.job.id)

    await studio(runtime).sweep()

    base = f"/v1/studio/sessions/{session_id}/messages"
    failed = (await client.get(f"{base}/{lost}", headers=user.headers)).json()
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "routing_interrupted"
    still = (await client.get(f"{base}/{recent}", headers=user.headers)).json()
    assert still["status"] == "processing", "a message being routed right now is left alone"
    linked = await finished(
        client,
        runtime,
        user,
        (await client.get(f"{base}/{submitted}", headers=user.headers)).json(),
    )
    assert linked["job_id"] == job.job.id
    assert linked["status"] == "done" and len(linked["output_ids"]) == 1

    # Leave nothing processing behind for the other tests' sweeps.
    def end_recent(conn: Connection) -> None:
        message = repo.get_message(conn, recent)
        assert message is not None
        repo.change_message(conn, message, status="failed", error_code="test_cleanup")

    await runtime.db.write(end_recent)
