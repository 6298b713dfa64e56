"""Deliveries are rows: a pending one survives a restart, and a final event that was
never recorded (the process died first) is found again when the service starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete
from tests.conftest import POSTGRES_SERVER, create_postgres_database, drop_postgres_database
from tests.support.webhook_receiver import Receiver
from tests.webhooks.support import (
    Backend,
    Clock,
    deliveries,
    finished_job,
    user_with_secret,
    webhook_service,
)

from pictor.api.app import create_app
from pictor.runtime import Runtime, build_runtime
from pictor.webhooks.models import WebhookDelivery


@pytest.fixture
async def backend(hook_backend: Backend, tmp_path: Path) -> AsyncIterator[Backend]:
    """A database of its own (the same kind as ``hook_backend``'s), restarted at will."""
    if hook_backend.database_url is None:
        yield Backend("sqlite", tmp_path, None)
        return
    name = await create_postgres_database()
    yield Backend("postgresql", tmp_path, f"{POSTGRES_SERVER}/{name}")
    await drop_postgres_database(name)


async def test_pending_and_missed_deliveries_survive_a_restart(
    backend: Backend, receiver: Receiver
) -> None:
    first = build_runtime(backend.settings())
    await first.start()
    clock = Clock()
    webhook_service(first).clock = clock
    try:
        transport = httpx.ASGITransport(app=create_app(runtime=first))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            user, _ = await user_with_secret(first, api)
            receiver.statuses = [500]
            pending = await finished_job(first, api, user, receiver.url)
            await webhook_service(first).run_due(clock.now)
            missed = await finished_job(first, api, user, receiver.url)
    finally:
        await first.stop()
    assert len(receiver.received) == 1

    second: Runtime = build_runtime(backend.settings())
    # As if the process had died between the job's end and the recording of its event.
    forget = delete(WebhookDelivery).where(WebhookDelivery.job_id == missed["id"])
    await second.db.write(lambda conn: conn.execute(forget))
    await second.start()
    try:
        webhook_service(second).clock = clock
        await webhook_service(second).run_due(clock.now + timedelta(minutes=1))
        transport = httpx.ASGITransport(app=create_app(runtime=second))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            [retried] = await deliveries(api, user, job_id=pending["id"])
            [recovered] = await deliveries(api, user, job_id=missed["id"])
    finally:
        await second.stop()
    assert retried["status"] == "succeeded"
    assert [a["status_code"] for a in retried["attempts"]] == [500, 200]
    assert recovered["status"] == "succeeded" and recovered["type"] == "job.succeeded"
    sent = sorted(r.payload["data"]["id"] for r in receiver.received)
    assert sent == sorted([pending["id"], pending["id"], missed["id"]])
