"""A batch's webhook: batch.running, batch.progress and the final batch.completed /
batch.canceled, signed and sent by the webhooks service (driven by the test's clock)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, event
from sqlalchemy.util import await_only
from tests.batches.support import Finished, blocked, create, flaky, items, run_to_end
from tests.conftest import (
    BACKENDS,
    POSTGRES_SERVER,
    create_postgres_database,
    drop_postgres_database,
    new_user,
)
from tests.support.gates import Gate
from tests.support.webhook_receiver import Receiver, webhook_receiver
from tests.webhooks.support import (
    Clock,
    hook_settings,
    user_with_secret,
    verify_standard_webhook,
    webhook_service,
)

from pictor.api.app import create_app
from pictor.db.base import Base
from pictor.jobs.events import Event
from pictor.runtime import Runtime, build_runtime


@pytest.fixture(scope="module", params=BACKENDS)
async def hooked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    """A runtime that may call loopback webhooks, its webhooks service driven by tests."""
    name = await create_postgres_database() if request.param == "postgresql" else None
    url = f"{POSTGRES_SERVER}/{name}" if name else None
    runtime = build_runtime(hook_settings(tmp_path_factory.mktemp("batch-hooks"), url))
    await runtime.start()
    yield runtime
    await runtime.stop()
    if name:
        await drop_postgres_database(name)


@pytest.fixture
def clock(hooked: Runtime) -> Iterator[Clock]:
    service = webhook_service(hooked)
    fake, before = Clock(), service.clock
    service.clock = fake
    yield fake
    service.clock = before


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with webhook_receiver() as hook:
        yield hook


@pytest.fixture
async def api(hooked: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=hooked))
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as c:
        yield c


async def send_due(runtime: Runtime, clock: Clock) -> None:
    await webhook_service(runtime).run_due(clock.advance(60))


async def test_a_batch_webhook_gets_start_progress_and_completed(
    hooked: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    user, secret = await user_with_secret(hooked, api)
    body: dict[str, Any] = {
        "items": flaky(4),
        "webhook": receiver.url,
        "webhook_events": ["start", "progress"],
    }
    async with Finished(hooked) as finished:
        batch = await create(api, user, body)
        assert batch["webhook"] == receiver.url
        assert batch["webhook_events"] == ["start", "progress"]
        await run_to_end(api, user, batch["id"])
        await finished.wait(batch["id"])
    await send_due(hooked, clock)
    types = receiver.types()  # sent concurrently: in any order
    assert types.count("batch.running") == 1, types
    assert types.count("batch.completed") == 1
    assert set(types) <= {"batch.running", "batch.progress", "batch.completed"}
    by_type = {got.payload["type"]: got for got in receiver.received}
    final = by_type["batch.completed"]
    assert verify_standard_webhook(secret, final.headers, final.body, int(clock.now.timestamp()))
    data = final.payload["data"]
    assert data["id"] == batch["id"] and data["status"] == "completed"
    assert data["counts"]["succeeded"] == 4 and data["cost_so_far"] == 2
    for got in receiver.received:
        if got.payload["type"] == "batch.progress":
            assert 0 < got.payload["data"]["progress"] < 100


@pytest.mark.parametrize("hooked", ["postgresql"], indirect=True)
async def test_a_progress_message_describes_what_its_decision_saw(
    hooked: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    """The last item ends while the follower is deciding on a progress message for the
    one before (on PostgreSQL each statement sees the latest commits; SQLite runs write
    transactions one at a time, so there it cannot happen): the message, if any, still
    says the batch is running and under 100 %, and the end is left to the final one.
    The second item is ended from inside the follower's transaction, just before it
    reads the batch's tally (the items run one after the other: the batch reserve)."""
    user, _ = await user_with_secret(hooked, api)
    bus_events: asyncio.Queue[Event]
    async with (
        Gate() as gate,
        Finished(hooked) as finished,
        hooked.bus.subscribe(None) as bus_events,
    ):
        body = {"items": blocked(2, gate.port), "webhook": receiver.url}
        batch = await create(api, user, {**body, "webhook_events": ["progress"]})
        job_ids = {item["job_id"] for item in await items(api, user, batch["id"])}
        first = await gate.arrival()

        async def end_the_second_item() -> None:
            second = await gate.arrival()
            await second.release()
            ended: set[str] = set()
            while len(ended) < 2:
                got = await bus_events.get()
                if got.job_id in job_ids and got.is_final:
                    ended.add(got.job_id)

        fired: list[str] = []

        def before_tally(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if not fired and "GROUP BY jobs.batch_id" in statement:
                fired.append(statement)
                await_only(end_the_second_item())

        engine = hooked.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", before_tally)
        try:
            await first.release()
            await finished.wait(batch["id"])
        finally:
            event.remove(engine, "before_cursor_execute", before_tally)
    assert fired, "the follower read no tally while the second item was running"
    await send_due(hooked, clock)
    assert receiver.types().count("batch.completed") == 1
    for got in receiver.received:
        if got.payload["type"] == "batch.progress":
            data = got.payload["data"]
            assert data["status"] == "running" and 0 < data["progress"] < 100, data


async def test_only_the_final_message_without_an_events_filter_and_canceled_is_final(
    hooked: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    user, _ = await user_with_secret(hooked, api)
    async with Gate() as gate, Finished(hooked) as finished:
        body = {"items": blocked(3, gate.port), "webhook": receiver.url}
        batch = await create(api, user, body)
        running = await gate.arrival()
        await api.post(f"/v1/batches/{batch['id']}/cancel", headers=user.headers)
        await running.release()
        await finished.wait(batch["id"])
    await send_due(hooked, clock)
    assert receiver.types() == ["batch.canceled"]
    data = receiver.received[0].payload["data"]
    assert data["status"] == "canceled" and data["counts"]["canceled"] == 2


async def test_a_batch_webhook_needs_a_secret(hooked: Runtime, api: httpx.AsyncClient) -> None:
    user = await new_user(hooked)
    body = {"items": flaky(1), "webhook": "http://127.0.0.1:9/hook"}
    response = await api.post("/v1/batches", json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook_secret_missing"
    bad = await api.post(
        "/v1/batches",
        json={"items": flaky(1), "webhook_events": ["finished"]},
        headers=user.headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "webhook_events.0"


async def test_the_migrated_batches_table_matches_the_model(hooked: Runtime) -> None:
    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return [d for d in compare_metadata(context, Base.metadata) if "batches" in repr(d)]

    async with hooked.db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []
