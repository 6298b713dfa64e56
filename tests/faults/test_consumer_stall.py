"""The worker's liveness check (pictor.worker.liveness).

The unit tests (default run) use kombu's own virtual channels (the in-memory transport
shares the Redis transport's QoS and its prefetch accounting), with messages really
delivered and left unacknowledged as a failed Redis acknowledgement leaves them. The
last test (fault suite) makes a real Celery worker stall on a private Redis, exactly as
celery#10205 does, and checks that the check brings it back; the fault suite's
broker-restart scenarios then run pictor's own workers through a restart under load.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Celery
from celery.worker import state
from kombu import Connection, Consumer, Exchange, Producer, Queue
from tests.faults.services import Proc, Redis, wait_for
from tests.support.server import ROOT

from pictor.config import Settings
from pictor.worker import liveness
from pictor.worker.app import build_celery
from pictor.worker.liveness import StallClock, StallWatch, check_interval, consumer_stalled


def test_the_clock_fires_only_after_the_condition_held_for_the_whole_limit() -> None:
    clock = StallClock(5.0)
    assert not clock.observe(True, 100.0)
    assert not clock.observe(True, 104.9)
    assert not clock.observe(False, 105.0)  # a break starts the count again
    assert not clock.observe(True, 106.0)
    assert not clock.observe(True, 110.9)
    assert clock.observe(True, 111.0)
    # Once fired it counts from zero (the next reconnect gets its own full limit).
    assert not clock.observe(True, 111.5)
    assert clock.observe(True, 116.5)


def test_the_check_runs_a_few_times_per_limit_within_bounds() -> None:
    assert check_interval(20) == 5.0
    assert check_interval(8) == 2.0
    assert check_interval(0.5) == 0.25
    assert check_interval(600) == 5.0


@pytest.fixture
def held() -> Iterator[tuple[Any, list[Any]]]:
    """A consumer on a real virtual channel with prefetch 2 that received two messages
    and acknowledged none: both its slots are held."""
    with Connection("memory://") as conn:
        channel = conn.channel()
        queue = Queue("stall-test", Exchange("stall-test"), "stall-test")
        Producer(channel).publish(
            {"n": 1}, exchange=queue.exchange, routing_key="stall-test", declare=[queue]
        )
        Producer(channel).publish({"n": 2}, exchange=queue.exchange, routing_key="stall-test")
        received: list[Any] = []
        consumer = Consumer(channel, [queue], callbacks=[lambda _b, m: received.append(m)])
        consumer.qos(prefetch_count=2)
        with consumer:
            while len(received) < 2:
                conn.drain_events(timeout=5)
            yield SimpleNamespace(task_consumer=consumer), received


def test_slots_held_while_no_task_is_reserved_is_a_stall(held: tuple[Any, list[Any]]) -> None:
    worker, messages = held
    assert not state.reserved_requests
    assert consumer_stalled(worker)
    messages[0].ack()  # a slot comes free: the consumer takes messages again
    assert not consumer_stalled(worker)


def test_slots_held_by_tasks_the_worker_holds_are_no_stall(held: tuple[Any, list[Any]]) -> None:
    worker, _ = held

    class Request:  # celery.worker.state keeps its requests in a WeakSet
        pass

    busy = Request()
    state.reserved_requests.add(busy)  # type: ignore[arg-type]
    try:
        assert not consumer_stalled(worker)
    finally:
        state.reserved_requests.discard(busy)  # type: ignore[arg-type]


def test_a_channel_without_its_own_slot_count_is_never_stalled() -> None:
    # py-amqp's channel (RabbitMQ) has no virtual QoS: the broker counts the slots.
    assert not consumer_stalled(SimpleNamespace(task_consumer=None))
    assert not consumer_stalled(SimpleNamespace(task_consumer=SimpleNamespace(channel=object())))


def _settings(stall_s: float) -> Settings:
    return Settings(
        broker={"url": "redis://127.0.0.1:6379/13"}, worker={"consumer_stall_s": stall_s}
    )


def test_workers_get_the_check_with_its_limit_and_zero_leaves_it_out() -> None:
    app = build_celery(_settings(7), with_task=True)
    assert StallWatch in app.steps["consumer"]
    assert app.conf[liveness.STALL_SETTING] == 7
    assert StallWatch not in build_celery(_settings(0), with_task=True).steps["consumer"]
    # An API node's app (no task) runs no consumer.
    assert StallWatch not in build_celery(_settings(7)).steps["consumer"]
    assert Settings().worker.consumer_stall_s == 20


def test_a_stall_raises_a_connection_error_in_the_loop(held: tuple[Any, list[Any]]) -> None:
    worker, messages = held
    worker.app = build_celery(_settings(5), with_task=True)
    step = StallWatch(worker)
    # Celery's consumer reconnects on its transport's connection errors (OSError there).
    for url in ("redis://127.0.0.1:6379/13", "amqp://guest:guest@127.0.0.1:5672//"):
        assert issubclass(liveness.ConsumerStalled, Connection(url).connection_errors)
    with pytest.raises(liveness.ConsumerStalled):
        step._check(worker, StallClock(0.0))
    messages[0].ack()
    step._check(worker, StallClock(0.0))  # not stalled: nothing raised


@pytest.mark.faults
def test_a_worker_left_holding_its_slots_by_failed_acks_reconnects(tmp_path: Path) -> None:
    """Both slots of a real worker busy, Redis stopped, both jobs finish (their acks
    fail), Redis started: without the check the worker would never take another
    message (celery#10205); with it, it reconnects and runs the next one."""
    redis = Redis(tmp_path / "redis.log")
    redis.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PICTOR_", "STALL_"))}
    env.update(
        PYTHONPATH=str(ROOT), STALL_BROKER=redis.url, STALL_DIR=str(tmp_path), STALL_LIMIT_S="2"
    )
    argv = [sys.executable, "-m", "celery", "-A", "tests.faults.stall_app", "worker", "-c", "2"]
    argv += ["--pool=prefork", "--without-mingle", "--without-gossip", "--loglevel=INFO"]
    worker = Proc("stall-worker", argv, tmp_path / "worker.log", env).start()
    sender = Celery("stall-test", broker=redis.url, set_as_current=False)
    try:
        wait_for(lambda: " ready." in worker.tail(), "the worker to be ready", 60)
        for n in (0, 1):
            sender.send_task("gated", args=[n])
        wait_for(lambda: all((tmp_path / f"started-{n}").exists() for n in (0, 1)), "both runs")
        redis.stop()
        (tmp_path / "open").touch()
        wait_for(lambda: worker.tail(400).count("Couldn't ack") >= 2, "both acks to fail")
        redis.start()
        sender.send_task("mark", args=[0])
        wait_for(lambda: (tmp_path / "mark-0").exists(), "a message taken after the restart")
        assert "ConsumerStalled(" in worker.log.read_text()
    finally:
        sender.close()
        worker.stop(timeout_s=10)
        redis.stop()
