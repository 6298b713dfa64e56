"""On a Redis broker the API node pushes Celery's message from its event loop: the same
message ``send_task`` writes (workers consuming it: tests/distributed/test_celery_jobs)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from pictor.config import Settings
from pictor.jobs.queue.celery import TASK_NAME, CeleryQueue
from pictor.jobs.queue.redis_broker import publisher_for
from pictor.pipelines.catalog import build_catalog
from pictor.worker.app import build_celery

REDIS = "redis://127.0.0.1:6379/13"
#: Differ between two messages by construction: fresh ids, the sending time, the
#: sending thread's id (``reply_to``, used by result backends only; pictor has none).
FRESH = {"id", "root_id", "correlation_id", "delivery_tag", "eta", "reply_to"}


def _decoded(raw: bytes) -> dict[str, Any]:
    message = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return dict(message)


def _without_fresh(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_fresh(v) for k, v in value.items() if k not in FRESH}
    return value


@pytest.mark.parametrize("countdown", [None, 30.0])
async def test_the_pushed_message_is_the_one_send_task_writes(countdown: float | None) -> None:
    prefix = f"pictor-test-{uuid.uuid4().hex[:8]}:"
    settings = Settings(broker={"url": REDIS, "transport_options": {"global_keyprefix": prefix}})
    app = build_celery(settings)
    queue = CeleryQueue(app, None, build_catalog([]), settings.broker)  # type: ignore[arg-type]
    assert queue.publisher is not None
    redis = Redis.from_url(REDIS)
    try:
        kwargs = {"attempt": 0, "priority": 0}
        await asyncio.to_thread(
            app.send_task,
            TASK_NAME,
            args=["job_1"],
            kwargs=kwargs,
            queue="q.kombu",
            soft_time_limit=70,
            time_limit=80,
            ignore_result=True,
            countdown=countdown,
        )
        message = queue.message("job_1", "q.pushed", kwargs, (70, 80), countdown)
        await queue.publisher.push("q.pushed", message)
        sent = _decoded(await redis.rpop(f"{prefix}q.kombu"))  # type: ignore[arg-type]
        pushed = _decoded(await redis.rpop(f"{prefix}q.pushed"))  # type: ignore[arg-type]
        sent["properties"]["delivery_info"]["routing_key"] = "q.pushed"
        assert _without_fresh(pushed) == _without_fresh(sent)
        assert pushed["body"] == [["job_1"], kwargs, pushed["body"][2]]
        assert pushed["headers"]["id"] == pushed["properties"]["correlation_id"]
        if countdown is None:
            assert pushed["headers"]["eta"] is None and sent["headers"]["eta"] is None
        else:
            eta = datetime.fromisoformat(pushed["headers"]["eta"])
            assert abs((eta - datetime.fromisoformat(sent["headers"]["eta"])).total_seconds()) < 25
    finally:
        await queue.stop()
        await redis.aclose()


def test_only_a_plain_redis_broker_is_published_from_the_loop() -> None:
    assert publisher_for("amqp://guest:guest@127.0.0.1:5672//", {}) is None
    assert publisher_for("rediss://127.0.0.1:6380/0", {}) is None
    assert publisher_for(REDIS, {"priority_steps": [0, 5]}) is None
    assert publisher_for(REDIS, {"sep": ":"}) is None
    plain = publisher_for(REDIS, {"visibility_timeout": 90, "global_keyprefix": "p:"})
    assert plain is not None and plain.key_prefix == "p:"
