"""POST /v1/batches (both forms), its price, its checks, and reading batches back."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from tests.batches.support import (
    Finished,
    balance,
    counts,
    create,
    flaky,
    items,
    run_to_end,
    upload,
)
from tests.conftest import User, new_user

from pictor.batches.models import Batch
from pictor.jobs.models import Job
from pictor.runtime import Runtime


async def job_rows(runtime: Runtime, batch_id: str) -> list[Any]:
    query = select(Job.id, Job.batch_id, Job.priority, Job.cost, Job.kind).where(
        Job.batch_id == batch_id
    )
    return list(await runtime.db.read(lambda conn: conn.execute(query).all()))


async def test_items_form_runs_every_item_at_batch_priority_and_half_price(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    before = await balance(runtime, user.id)
    async with Finished(runtime) as finished:
        batch = await create(client, user, {"items": flaky(3)})
        assert batch["id"].startswith("bat_") and batch["object"] == "batch"
        assert batch["item_count"] == 3 and batch["discount"] == 0.5
        assert batch["list_price"] == 3 and batch["total_cost"] == 2  # ceil(3 * 0.5)
        rows = await job_rows(runtime, batch["id"])
        assert len(rows) == 3
        assert {(r.batch_id, r.priority, r.kind) for r in rows} == {(batch["id"], -1, "test_flaky")}
        assert sorted(r.cost for r in rows) == [0, 1, 1]
        listed = await items(client, user, batch["id"])
        assert [i["index"] for i in listed] == [0, 1, 2]
        # Largest remainder, ties to the earlier item.
        assert [i["cost"] for i in listed] == [1, 1, 0]
        done = await run_to_end(client, user, batch["id"])
        await finished.wait(batch["id"])
    assert done["status"] == "completed"
    assert done["counts"] == {"queued": 0, "running": 0, "succeeded": 3, "failed": 0, "canceled": 0}
    assert done["progress"] == 100.0
    assert done["cost_so_far"] == 2 and done["reserved"] == 0
    assert done["finished_at"] is not None and done["started_at"] is not None
    stored = await runtime.db.read(
        lambda conn: conn.execute(
            select(Batch.status, Batch.finished_at).where(Batch.id == batch["id"])
        ).one()
    )
    assert stored.status == "completed" and stored.finished_at is not None
    after = await balance(runtime, user.id)
    assert before.available - after.available == 2 and after.reserved == before.reserved


async def test_one_spec_applied_to_many_uploads(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    uploads = [await upload(client, user, seed) for seed in range(3)]
    body = {"spec": {"kind": "remove_background", "params": {}}, "inputs": uploads}
    batch = await create(client, user, body)
    assert batch["item_count"] == 3 and batch["list_price"] == 3 and batch["total_cost"] == 2
    listed = await items(client, user, batch["id"])
    jobs = [
        (await client.get(f"/v1/jobs/{i['job_id']}", headers=user.headers)).json() for i in listed
    ]
    assert [job["input"] for job in jobs] == [[{"upload_id": u}] for u in uploads]
    done = await run_to_end(client, user, batch["id"])
    assert done["status"] == "completed" and done["counts"]["succeeded"] == 3


async def test_mixed_prices_share_the_discounted_total_exactly(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    logo = {"kind": "logo", "params": {"business_name": "Golden Crust", "variants": 1}}
    before = await balance(runtime, user.id)
    batch = await create(client, user, {"items": [logo, *flaky(3)]})
    # Prices 2, 1, 1, 1: list 5, total ceil(2.5) = 3, shares 3 * p / 5 = 1.2, .6, .6, .6.
    assert batch["list_price"] == 5 and batch["total_cost"] == 3
    assert [i["cost"] for i in await items(client, user, batch["id"])] == [1, 1, 1, 0]
    reserved_or_spent = before.available - (await balance(runtime, user.id)).available
    assert reserved_or_spent == 3
    await run_to_end(client, user, batch["id"])


async def test_insufficient_credits_refuses_the_whole_batch(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    poor = await new_user(runtime, credits=1)
    response = await client.post("/v1/batches", json={"items": flaky(4)}, headers=poor.headers)
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "insufficient_credits"
    assert error["details"] == {"required": 2, "available": 1}
    assert await counts(runtime, poor.id) == (0, 0)
    after = await balance(runtime, poor.id)
    assert (after.available, after.reserved) == (1, 0)
    # Exactly affordable: accepted.
    ok = await create(client, poor, {"items": flaky(2)})
    assert ok["total_cost"] == 1


async def bad(client: httpx.AsyncClient, user: User, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/batches", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_a_bad_item_names_its_index_and_nothing_is_created(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    good = flaky(1)[0]

    error = await bad(client, user, {"items": [good, {"kind": "test_flaky", "params": {"x": 1}}]})
    assert error["code"] == "invalid_batch_item" and error["field"] == "items.1.params.x"
    assert error["details"] == {"index": 1, "item_code": "invalid_request"}
    assert error["message"].startswith("items[1]: params.x")

    error = await bad(client, user, {"items": [good, good, {"kind": "nope"}]})
    assert error["field"] == "items.2.kind" and error["details"]["index"] == 2

    error = await bad(client, user, {"items": [{"params": {}}]})
    assert error["field"] == "items.0.kind"

    error = await bad(client, user, {"items": [good, {**good, "webhook": "https://x.test/h"}]})
    assert error["field"] == "items.1.webhook"

    photo = {"kind": "remove_background", "input": {"image_url": "https://x.test/a.jpg"}}
    error = await bad(client, user, {"items": [photo]})
    assert error["field"] == "items.0.input" and "upload ids" in error["message"]

    no_input = {"kind": "remove_background"}
    error = await bad(client, user, {"items": [good, no_input]})
    assert error["field"] == "items.1.input"
    assert error["details"] == {"index": 1, "item_code": "wrong_input_count"}

    mine = await upload(client, user)
    spec = {"kind": "remove_background", "params": {}}
    error = await bad(client, user, {"spec": spec, "inputs": [mine, "art_unknown", mine]})
    assert error["field"] == "inputs.1.input"
    assert error["details"] == {"index": 1, "item_code": "upload_not_found"}

    stranger = await new_user(runtime)
    theirs = await upload(client, stranger)
    error = await bad(client, user, {"spec": spec, "inputs": [mine, mine, theirs]})
    assert error["details"] == {"index": 2, "item_code": "upload_not_found"}

    error = await bad(
        client, user, {"spec": {"kind": "test_flaky", "params": {"x": 1}}, "inputs": [mine]}
    )
    assert error["code"] == "invalid_request" and error["field"] == "spec.params.x"

    error = await bad(client, user, {"items": [good], "spec": spec, "inputs": [mine]})
    assert error["code"] == "invalid_request"
    error = await bad(client, user, {"spec": spec})
    assert error["code"] == "invalid_request"
    error = await bad(client, user, {"items": []})
    assert error["code"] == "invalid_request" and error["field"] == "items"

    assert await counts(runtime, user.id) == (0, 0)


async def test_more_items_than_the_limit_are_refused(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    limit = runtime.settings.batches.max_items
    error = await bad(client, user, {"items": flaky(limit + 1)})
    assert error["code"] == "too_many_items" and error["field"] == "items"
    assert str(limit) in error["message"]
    error = await bad(
        client, user, {"spec": {"kind": "test_flaky"}, "inputs": ["art_x"] * (limit + 1)}
    )
    assert error["code"] == "too_many_items" and error["field"] == "inputs"


async def test_idempotency_key_replays_the_same_batch(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    headers = {"Idempotency-Key": "batch-key-1"}
    first = await create(client, user, {"items": flaky(2)}, **headers)
    again = await create(client, user, {"items": flaky(2)}, status=200, **headers)
    assert again["id"] == first["id"]
    other = await client.post(
        "/v1/batches", json={"items": flaky(3)}, headers={**user.headers, **headers}
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(await job_rows(runtime, first["id"])) == 2
    await run_to_end(client, user, first["id"])


async def test_list_is_newest_first_with_a_cursor_and_only_yours(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    other = await new_user(runtime)
    made = [(await create(client, user, {"items": flaky(1)}))["id"] for _ in range(3)]
    await create(client, other, {"items": flaky(1)})
    page = (await client.get("/v1/batches?limit=2", headers=user.headers)).json()
    assert [b["id"] for b in page["data"]] == made[::-1][:2] and page["has_more"] is True
    rest = (
        await client.get(f"/v1/batches?limit=2&cursor={page['next_cursor']}", headers=user.headers)
    ).json()
    assert [b["id"] for b in rest["data"]] == made[:1] and rest["has_more"] is False
    for batch_id in made:
        await run_to_end(client, user, batch_id)
    completed = (await client.get("/v1/batches?status=completed", headers=user.headers)).json()
    assert {b["id"] for b in completed["data"]} <= set(made)


async def test_another_users_batch_is_not_found(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    batch = await create(client, user, {"items": flaky(1)})
    for method, path in (
        ("GET", f"/v1/batches/{batch['id']}"),
        ("GET", f"/v1/batches/{batch['id']}/items"),
        ("GET", f"/v1/batches/{batch['id']}/results.zip"),
        ("POST", f"/v1/batches/{batch['id']}/cancel"),
        ("GET", "/v1/batches/bat_doesnotexist"),
    ):
        response = await client.request(method, path, headers=other_user.headers)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "batch_not_found"
    listed = (await client.get("/v1/batches", headers=other_user.headers)).json()
    assert batch["id"] not in {b["id"] for b in listed["data"]}
    unauthenticated = await client.get(f"/v1/batches/{batch['id']}")
    assert unauthenticated.status_code == 401
    await run_to_end(client, user, batch["id"])
