"""``enqueue_delivery`` (what batches call): a delivery that waits for its owner's
secret, and the tables as migrated match the models on both databases."""

from __future__ import annotations

from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from tests.conftest import new_user
from tests.support.webhook_receiver import Receiver
from tests.webhooks.support import Clock, deliveries, verify_standard_webhook, webhook_service

from pictor.db.base import Base
from pictor.runtime import Runtime
from pictor.webhooks.service import enqueue_delivery


async def test_a_batch_delivery_waits_for_its_owner_to_create_a_secret(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user = await new_user(hook_runtime)
    data = {"id": "bat_waits", "status": "completed", "counts": {"succeeded": 2}}
    made = await hook_runtime.db.write(
        lambda conn: enqueue_delivery(
            conn, user.id, receiver.url, "batch.completed", data, batch_id="bat_waits"
        )
    )
    await service.run_due(clock.advance(60))
    [waiting] = await deliveries(api, user, batch_id="bat_waits")
    assert waiting["id"] == made and waiting["status"] == "pending"
    assert waiting["attempts"] == [] and "POST /v1/webhooks/secret" in waiting["last_error"]
    assert receiver.received == []

    secret = (await api.post("/v1/webhooks/secret", headers=user.headers)).json()["secret"]
    await service.run_due(clock.advance(60))
    [got] = receiver.received
    assert verify_standard_webhook(secret, got.headers, got.body, int(clock.now.timestamp()))
    assert got.payload["type"] == "batch.completed" and got.payload["data"] == data
    [sent] = await deliveries(api, user, batch_id="bat_waits")
    assert sent["status"] == "succeeded" and sent["job_id"] is None


async def test_a_delivery_whose_owner_never_makes_a_secret_fails_unsent(
    hook_runtime: Runtime, api: httpx.AsyncClient, receiver: Receiver, clock: Clock
) -> None:
    service = webhook_service(hook_runtime)
    user = await new_user(hook_runtime)
    await hook_runtime.db.write(
        lambda conn: enqueue_delivery(
            conn, user.id, receiver.url, "batch.completed", {}, batch_id="bat_never", now=clock.now
        )
    )
    for _ in range(30):
        await service.run_due(clock.advance(3600))
    [delivery] = await deliveries(api, user, batch_id="bat_never")
    assert delivery["status"] == "failed" and delivery["attempts"] == []
    assert receiver.received == []


async def test_the_migrated_webhook_tables_match_the_models(hook_runtime: Runtime) -> None:
    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return [d for d in compare_metadata(context, Base.metadata) if "webhook" in repr(d)]

    async with hook_runtime.db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []
