"""A batch while it runs: interactive jobs first, cancel, and the results archive.

Items of the test kinds are held at a gate (see tests/support/gates.py), so what runs
when is observed through the order of arrivals, never through timing.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import httpx
from sqlalchemy import select
from tests.batches.support import (
    Finished,
    balance,
    batches_area,
    blocked,
    create,
    flaky,
    follow_to_end,
    items,
    run_to_end,
    upload,
)
from tests.conftest import new_user
from tests.support.gates import Gate

from pictor.batches.models import Batch
from pictor.jobs.models import Job
from pictor.runtime import Runtime


async def post_job(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = await client.post("/v1/jobs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def started_at(runtime: Runtime, job_id: str) -> Any:
    query = select(Job.started_at).where(Job.id == job_id)
    return await runtime.db.read(lambda conn: conn.execute(query).scalar_one())


async def test_interactive_jobs_are_claimed_before_the_rest_of_a_1000_item_batch(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    size = runtime.settings.batches.max_items
    assert size == 1000
    async with Gate() as gate:
        batch = await create(client, user, {"items": blocked(size, gate.port)})
        listed = await items(client, user, batch["id"])
        first = await gate.arrival()  # item 0, on the one worker batch items may take
        assert first.tag == "attempt-1"
        # Submitted after 1,000 batch items: it starts at once, on the worker kept free.
        held = await post_job(
            client, user.headers, {"kind": "test_steps", "params": {"port": gate.port, "steps": 1}}
        )
        step = await gate.arrival()
        assert step.tag == "step-0"
        # Both workers busy: this one waits, but ahead of the 999 batch items left.
        quick = await post_job(
            client, user.headers, {"kind": "test_flaky", "params": {"fail_times": 0}}
        )
        await first.release()
        second = await gate.arrival()
        assert second.tag == "attempt-1"
        ran = (await client.get(f"/v1/jobs/{quick['id']}", headers=user.headers)).json()
        assert ran["status"] == "succeeded"
        assert await started_at(runtime, quick["id"]) < await started_at(
            runtime, listed[1]["job_id"]
        )
        view = (await client.get(f"/v1/batches/{batch['id']}", headers=user.headers)).json()
        assert view["status"] == "running"
        assert view["counts"]["succeeded"] == 1 and view["counts"]["running"] == 1
        assert view["counts"]["queued"] == size - 2
        canceled = await client.post(f"/v1/batches/{batch['id']}/cancel", headers=user.headers)
        assert canceled.json()["counts"]["canceled"] == size - 2
        await second.release()
        await step.release()
        await follow_to_end(client, user, listed[1]["job_id"])
        assert (await follow_to_end(client, user, held["id"]))["status"] == "succeeded"


async def test_cancel_ends_queued_items_with_their_credits_and_running_ones_finish(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    before = await balance(runtime, user.id)
    async with Gate() as gate, Finished(runtime) as finished:
        batch = await create(client, user, {"items": blocked(5, gate.port)})
        assert batch["total_cost"] == 3  # shares 1, 1, 1, 0, 0
        running = await gate.arrival()
        response = await client.post(f"/v1/batches/{batch['id']}/cancel", headers=user.headers)
        assert response.status_code == 200
        view = response.json()
        assert view["status"] == "running" and view["cancel_requested"] is True
        assert view["counts"] == {
            "queued": 0,
            "running": 1,
            "succeeded": 0,
            "failed": 0,
            "canceled": 4,
        }
        assert view["reserved"] == 1 and view["cost_so_far"] == 0
        mid = await balance(runtime, user.id)
        assert before.available - mid.available == 1 and mid.reserved - before.reserved == 1
        await running.release()
        listed = await items(client, user, batch["id"])
        assert (await follow_to_end(client, user, listed[0]["job_id"]))["status"] == "succeeded"
        await finished.wait(batch["id"])
    final = (await client.get(f"/v1/batches/{batch['id']}", headers=user.headers)).json()
    assert final["status"] == "canceled" and final["finished_at"] is not None
    assert final["counts"]["succeeded"] == 1 and final["counts"]["canceled"] == 4
    assert final["cost_so_far"] == 1 and final["reserved"] == 0
    after = await balance(runtime, user.id)
    assert before.available - after.available == 1 and after.reserved == before.reserved
    statuses = [i["status"] for i in await items(client, user, batch["id"])]
    assert statuses == ["succeeded"] + ["canceled"] * 4
    again = await client.post(f"/v1/batches/{batch['id']}/cancel", headers=user.headers)
    assert again.status_code == 200 and again.json()["status"] == "canceled"


async def test_a_batch_still_waiting_is_canceled_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    before = await balance(runtime, user.id)
    async with Gate() as gate:
        holder = await create(client, user, {"items": blocked(1, gate.port)})
        held = await gate.arrival()  # the only worker batch items may use is busy
        waiting = await create(client, user, {"items": flaky(4)})
        response = await client.post(f"/v1/batches/{waiting['id']}/cancel", headers=user.headers)
        view = response.json()
        assert view["status"] == "canceled" and view["finished_at"] is not None
        assert view["counts"]["canceled"] == 4 and view["reserved"] == 0
        await held.release()
        await run_to_end(client, user, holder["id"])
    after = await balance(runtime, user.id)
    assert before.available - after.available == 1  # the holder's share only


async def test_a_completed_batch_cannot_be_canceled(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    batch = await create(client, user, {"items": flaky(2)})
    await run_to_end(client, user, batch["id"])
    response = await client.post(f"/v1/batches/{batch['id']}/cancel", headers=user.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "batch_finished"


async def test_results_zip_has_every_output_and_a_manifest(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    photos = [await upload(client, user, seed) for seed in range(2)]
    body = {
        "items": [
            {"kind": "remove_background", "input": {"upload_id": photos[0]}},
            {"kind": "test_flaky", "params": {"permanent": True}},
            {"kind": "remove_background", "input": {"upload_id": photos[1]}},
        ]
    }
    batch = await create(client, user, body)
    done = await run_to_end(client, user, batch["id"])
    assert done["counts"]["succeeded"] == 2 and done["counts"]["failed"] == 1
    listed = await items(client, user, batch["id"])
    ids = [item["job_id"] for item in listed]
    response = await client.get(f"/v1/batches/{batch['id']}/results.zip", headers=user.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="{batch["id"]}.zip"' in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [f"0_{ids[0]}_1.png", f"2_{ids[2]}_1.png", "manifest.json", "manifest.csv"]
    for index in (0, 2):
        job = (await client.get(f"/v1/jobs/{ids[index]}", headers=user.headers)).json()
        served = await client.get(job["outputs"][0]["url"])
        assert archive.read(f"{index}_{ids[index]}_1.png") == served.content
    document = json.loads(archive.read("manifest.json"))
    assert document["batch_id"] == batch["id"] and document["item_count"] == 3
    rows = document["items"]
    assert [(r["index"], r["job_id"], r["kind"], r["status"]) for r in rows] == [
        (0, ids[0], "remove_background", "succeeded"),
        (1, ids[1], "test_flaky", "failed"),
        (2, ids[2], "remove_background", "succeeded"),
    ]
    assert rows[1]["error_code"] == "bad_test_input" and rows[1]["outputs"] == []
    assert rows[0]["outputs"] == [f"0_{ids[0]}_1.png"]
    assert [r["cost"] for r in rows] == [item["cost"] for item in listed]
    table = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [r["job_id"] for r in table] == ids
    assert table[1]["status"] == "failed" and table[1]["error_code"] == "bad_test_input"
    assert table[2]["outputs"] == f"2_{ids[2]}_1.png"


async def test_results_name_items_by_padded_index_and_list_canceled_ones(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    async with Gate() as gate:
        batch = await create(client, user, {"items": blocked(12, gate.port)})
        await (await gate.arrival()).release()
        second = await gate.arrival()  # item 1 holds the batch worker: 2-11 wait
        await client.post(f"/v1/batches/{batch['id']}/cancel", headers=user.headers)
        await second.release()
        listed = await items(client, user, batch["id"])
        for item in listed[:2]:
            await follow_to_end(client, user, item["job_id"])
    response = await client.get(f"/v1/batches/{batch['id']}/results.zip", headers=user.headers)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist()[:2] == [
        f"00_{listed[0]['job_id']}_1.txt",
        f"01_{listed[1]['job_id']}_1.txt",
    ]
    assert archive.read(archive.namelist()[0]) == b"made by attempt 1"
    rows = json.loads(archive.read("manifest.json"))["items"]
    assert len(rows) == 12 and {r["status"] for r in rows[2:]} == {"canceled"}


async def test_the_reconciler_requeues_lost_batch_items_behind_interactive_jobs(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    assert runtime.queue is not None and runtime.reconciler is not None
    async with Gate() as gate:
        holder = await create(client, user, {"items": blocked(1, gate.port)})
        held = await gate.arrival()  # the batch worker is busy: later items wait
        waiting = await create(client, user, {"items": flaky(2)})
        ids = [item["job_id"] for item in await items(client, user, waiting["id"])]
        await runtime.queue.discard(ids)  # as if their enqueue had been lost
        assert await runtime.reconciler.run_once() >= 2
        # An interactive job runs on the free worker; the requeued items, batch items
        # again, are not taken by it (at priority 0 they would have run first).
        quick = await post_job(
            client, user.headers, {"kind": "test_flaky", "params": {"fail_times": 0}}
        )
        assert (await follow_to_end(client, user, quick["id"]))["status"] == "succeeded"
        view = (await client.get(f"/v1/batches/{waiting['id']}", headers=user.headers)).json()
        assert view["counts"]["queued"] == 2
        await held.release()
        await run_to_end(client, user, holder["id"])
    done = await run_to_end(client, user, waiting["id"])
    assert done["counts"]["succeeded"] == 2


async def test_list_filters_by_status_told_by_the_jobs(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)

    async def listed(status: str, limit: int = 20) -> list[str]:
        response = await client.get(
            "/v1/batches", params={"status": status, "limit": limit}, headers=user.headers
        )
        assert response.status_code == 200, response.text
        return [b["id"] for b in response.json()["data"]]

    async with Gate() as gate:
        running = await create(client, user, {"items": blocked(1, gate.port)})
        held = await gate.arrival()
        waiting = [(await create(client, user, {"items": flaky(1)}))["id"] for _ in range(3)]
        assert await listed("running") == [running["id"]]
        assert await listed("queued") == waiting[::-1]
        assert await listed("queued", limit=2) == waiting[::-1][:2]
        assert await listed("running", limit=1) == [running["id"]]  # past 3 queued ones
        await held.release()
        for batch_id in [running["id"], *waiting]:
            await run_to_end(client, user, batch_id)
    assert await listed("running") == [] and await listed("queued") == []


async def test_a_batch_that_ended_while_its_follower_was_stopped_is_written_down_at_start(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    area = batches_area(runtime)
    await area.stop()
    try:
        batch = await create(client, user, {"items": flaky(2)})
        done = await run_to_end(client, user, batch["id"])
        assert done["status"] == "completed"  # read from the jobs
        assert await stored_status(runtime, batch["id"]) == ("queued", None)
    finally:
        await area.start()
    status, finished_at = await stored_status(runtime, batch["id"])
    assert status == "completed" and finished_at is not None


async def stored_status(runtime: Runtime, batch_id: str) -> tuple[str, Any]:
    query = select(Batch.status, Batch.finished_at).where(Batch.id == batch_id)
    row = await runtime.db.read(lambda conn: conn.execute(query).one())
    return str(row[0]), row[1]
