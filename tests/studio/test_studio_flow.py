"""Conversations that become real jobs of the offline engines, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import numpy as np
from sqlalchemy import select
from tests.conftest import User
from tests.studio.support import finished, new_session, send, studio, upload_png
from tests.support.gates import Gate
from tests.support.images import open_image

from pictor.api.routers.jobs import wait_until_final
from pictor.artifacts.models import Artifact
from pictor.runtime import Runtime


async def test_remove_the_background_of_an_uploaded_png_ends_done_with_a_cut_out(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)

    answer = await send(client, user, session_id, "remove the background", [upload_id])
    assert answer["role"] == "assistant"
    assert answer["intent"] == "remove_background"
    assert answer["job_id"] is not None
    assert answer["status"] in ("processing", "done")

    done = await finished(client, runtime, user, answer)
    assert done["status"] == "done", done
    assert done["error"] is None
    assert done["reply"]
    [output] = done["outputs"]
    assert done["output_ids"] == [output["id"]]
    assert output["content_type"] == "image/png"
    image = np.asarray(open_image((await client.get(output["url"])).content))
    assert image.shape == (240, 320, 4)
    assert image[5, 5, 3] < 20, "the background must be transparent"
    assert image[120, 160, 3] > 235, "the product must stay opaque"

    job = (await client.get(f"/v1/jobs/{done['job_id']}", headers=user.headers)).json()
    assert job["kind"] == "remove_background" and job["status"] == "succeeded"
    assert job["input"] == [{"upload_id": upload_id}]

    session = (await client.get(f"/v1/studio/sessions/{session_id}", headers=user.headers)).json()
    assert session["last_image_id"] == output["id"]
    assert session["title"] == "remove the background"
    assert [(m["role"], m["status"]) for m in session["messages"]] == [
        ("user", "done"),
        ("assistant", "done"),
    ]
    assert session["messages"][0]["image_ids"] == [upload_id]


async def test_a_follow_up_without_an_image_works_on_the_previous_result(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    first = await finished(
        client,
        runtime,
        user,
        await send(client, user, session_id, "remove the background", [upload_id]),
    )
    [made] = first["output_ids"]

    follow_up = await send(client, user, session_id, "now remove the background again")
    second = await finished(client, runtime, user, follow_up)
    assert second["status"] == "done", second
    job = (await client.get(f"/v1/jobs/{second['job_id']}", headers=user.headers)).json()
    assert job["input"] == [{"upload_id": made}], "the follow-up works on the last result"

    # A message that names another image works on that one instead.
    other = await upload_png(client, user)
    third = await send(client, user, session_id, "remove the background", [other])
    job = (await client.get(f"/v1/jobs/{third['job_id']}", headers=user.headers)).json()
    assert job["input"] == [{"upload_id": other}]
    await finished(client, runtime, user, third)


async def test_make_a_logo_runs_a_logo_job_whose_png_becomes_the_last_image(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user, title="Acme")
    answer = await send(client, user, session_id, "make a logo for Acme bakery")
    assert answer["intent"] == "logo"
    assert answer["params"]["business_name"] == "Acme"
    assert answer["engine"] == "rules"
    done = await finished(client, runtime, user, answer)
    assert done["status"] == "done", done
    job = (await client.get(f"/v1/jobs/{done['job_id']}", headers=user.headers)).json()
    assert job["kind"] == "logo" and job["status"] == "succeeded"
    types = {o["content_type"] for o in done["outputs"]}
    assert {"image/svg+xml", "image/png", "application/zip"} <= types
    session = (await client.get(f"/v1/studio/sessions/{session_id}", headers=user.headers)).json()
    assert session["title"] == "Acme", "a given title is kept"
    first_png = next(o["id"] for o in done["outputs"] if o["content_type"] == "image/png")
    assert session["last_image_id"] == first_png

    # The brand kit (a ZIP) is an artifact of the user, but not an image.
    kit = next(o["id"] for o in done["outputs"] if o["content_type"] == "application/zip")
    response = await client.post(
        f"/v1/studio/sessions/{session_id}/messages",
        json={"text": "remove the background", "image_ids": [kit]},
        headers=user.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "not_an_image"


async def test_hello_is_answered_at_once_without_a_job(
    client: httpx.AsyncClient, user: User
) -> None:
    session_id = await new_session(client, user)
    answer = await send(client, user, session_id, "hello")
    assert answer["status"] == "done"
    assert answer["intent"] == "answer"
    assert answer["job_id"] is None
    assert answer["reply"]
    assert answer["outputs"] == [] and answer["error"] is None


async def test_a_job_that_fails_ends_its_message_failed_with_the_reason(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    # The stored file goes bad after upload: the job fails when it reads it.
    async with runtime.db.read_session() as db:
        key = (
            await db.execute(select(Artifact.storage_key).where(Artifact.id == upload_id))
        ).scalar_one()
    await runtime.store.put_bytes(key, b"this is no longer a PNG", "image/png")

    answer = await send(client, user, session_id, "remove the background", [upload_id])
    ended = await finished(client, runtime, user, answer)
    assert ended["status"] == "failed", ended
    job = (await client.get(f"/v1/jobs/{ended['job_id']}", headers=user.headers)).json()
    assert job["status"] == "failed"
    assert ended["error"] == {"code": job["error"]["code"], "message": job["error"]["message"]}
    assert ended["error"]["message"] in ended["reply"]
    assert ended["outputs"] == []


async def test_a_message_that_cannot_become_a_job_fails_with_a_clear_reason(
    client: httpx.AsyncClient, user: User
) -> None:
    session_id = await new_session(client, user)
    # No image in the message nor in the session: the assistant asks for one.
    no_image = await send(client, user, session_id, "remove the background")
    assert no_image["status"] == "done"
    assert no_image["intent"] == "answer"
    assert no_image["job_id"] is None
    assert "image" in no_image["reply"].lower()

    # No text-to-image provider is configured here.
    no_provider = await send(client, user, session_id, "a picture of a cat at sunset")
    assert no_provider["status"] == "failed"
    assert no_provider["intent"] == "generate"
    assert no_provider["prompt"].lower() == "a cat at sunset"
    assert no_provider["job_id"] is None
    assert no_provider["error"]["code"] and no_provider["error"]["message"]
    assert no_provider["error"]["message"] in no_provider["reply"]

    jobs = (await client.get("/v1/jobs", headers=user.headers)).json()
    assert jobs["data"] == [], "no job was made for either"


async def test_erasing_a_named_corner_runs_an_erase_job_on_the_attached_image(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    answer = await send(
        client, user, session_id, "erase the text in the top right corner", [upload_id]
    )
    assert answer["intent"] == "erase"
    done = await finished(client, runtime, user, answer)
    assert done["status"] == "done", done
    job = (await client.get(f"/v1/jobs/{done['job_id']}", headers=user.headers)).json()
    assert job["kind"] == "erase" and job["input"] == [{"upload_id": upload_id}]
    assert job["params"]["regions"] == [{"x": 75.0, "y": 0.0, "w": 25.0, "h": 15.0}]
    assert job["params"]["units"] == "percent"


async def test_messages_are_read_by_the_engine_the_settings_name(runtime: Runtime) -> None:
    assert runtime.settings.studio.engine == "rules"
    assert studio(runtime).engine.name == "rules"


async def test_a_canceled_job_ends_its_message_failed_job_canceled(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    async with Gate() as gate:
        # Both workers held: the message's job stays queued until canceled.
        held = [
            (
                await client.post(
                    "/v1/jobs",
                    json={"kind": "test_block", "input": [], "params": {"port": gate.port}},
                    headers=user.headers,
                )
            ).json()["id"]
            for _ in range(runtime.settings.worker.concurrency)
        ]
        arrivals = [await gate.arrival() for _ in held]
        answer = await send(client, user, session_id, "remove the background", [upload_id])
        assert answer["status"] == "processing"
        canceled = await client.post(f"/v1/jobs/{answer['job_id']}/cancel", headers=user.headers)
        assert canceled.json()["status"] == "canceled"
        ended = await finished(client, runtime, user, answer)
        for arrival in arrivals:
            await arrival.release()
    assert ended["status"] == "failed"
    assert ended["error"]["code"] == "job_canceled"
    for job_id in held:
        await wait_until_final(runtime, job_id, 30)
