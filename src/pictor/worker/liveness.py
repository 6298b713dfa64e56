"""The worker's liveness check: a broker consumer that stopped taking messages reconnects.

Why (Celery 5.7, kombu 5.7, Redis broker; upstream celery#10205, #10302): kombu's Redis
transport emulates acknowledgements, and a message's prefetch slot is freed only after
its acknowledgement's round trip to Redis succeeded. When Redis goes away while jobs
finish, their acknowledgements fail (``Couldn't ack …``: Celery logs it and goes on)
and their slots stay taken. Once every slot of the worker is taken (concurrency x
``PICTOR_BROKER_PREFETCH``), kombu stops polling its BRPOP connection until a slot is
freed: the dead connection is never read, its error never raised, Celery never sees the
connection loss and never reconnects. The process lives on, runs nothing and logs
nothing more, even long after Redis is back.

The check is a consumer step (Celery's bootsteps API) on the worker's event loop. Every
few seconds it looks at the consumer's channel: the channel refusing messages (all its
prefetch slots held) while the worker holds no task at all (none reserved, none
running) means the slots are held by messages nobody works on. When that lasts
``PICTOR_WORKER_CONSUMER_STALL_S``, the step raises a connection error inside the loop,
and Celery takes its own "connection to broker lost" path: it closes the connection
(putting the unacknowledged messages back when the broker still has them: their jobs
are final, so their deliveries are no-ops), reconnects (retrying while the broker is
still down) and consumes again with fresh slots. Nothing is lost meanwhile: jobs stay
``queued`` in the database and the reconciler re-sends the ones whose message was lost.

RabbitMQ (py-amqp) has no such state: the broker counts the slots and the connection's
socket is always polled, so a lost connection is noticed at once; the check then never
fires.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from celery import Celery, bootsteps
from celery.worker import state

log = logging.getLogger("pictor.worker")

#: The Celery setting carrying ``PICTOR_WORKER_CONSUMER_STALL_S`` to the step.
STALL_SETTING = "pictor_consumer_stall_s"


class ConsumerStalled(ConnectionError):
    """Raised in the consumer's event loop: Celery treats it as a lost connection."""


@dataclass
class StallClock:
    """How long a condition has held; ``observe`` says when it held ``limit_s``."""

    limit_s: float
    since: float | None = None

    def observe(self, stalled: bool, now: float) -> bool:
        if not stalled:
            self.since = None
            return False
        if self.since is None:
            self.since = now
        if now - self.since < self.limit_s:
            return False
        self.since = None
        return True


def check_interval(limit_s: float) -> float:
    """How often the step looks: a few times per limit, between 0.25 s and 5 s."""
    return max(0.25, min(5.0, limit_s / 4))


def consumer_stalled(consumer: Any) -> bool:
    """Whether the consumer's channel refuses messages while the worker holds no task.

    Only transports whose channel counts the slots itself (kombu's virtual transports:
    Redis) can be in that state; for the others (py-amqp) this is always false.
    """
    channel = getattr(getattr(consumer, "task_consumer", None), "channel", None)
    can_consume = getattr(getattr(channel, "qos", None), "can_consume", None)
    if not callable(can_consume):
        return False
    return not can_consume() and not state.reserved_requests


class StallWatch(bootsteps.StartStopStep):  # type: ignore[misc]
    """The consumer step of the check (see the module doc)."""

    label = "pictor stall watch"
    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.limit_s = float(parent.app.conf.get(STALL_SETTING) or 0)
        self.enabled = self.limit_s > 0

    def register_with_event_loop(self, parent: Any, hub: Any) -> None:
        # Called on every (re)connection; Celery cancels the timer with the connection.
        clock = StallClock(self.limit_s)
        hub.call_repeatedly(check_interval(self.limit_s), self._check, parent, clock)

    def _check(self, parent: Any, clock: StallClock) -> None:
        if clock.observe(consumer_stalled(parent), time.monotonic()):
            log.error(
                "the broker consumer has taken no message for %g s although no job runs"
                " (its prefetch slots are held by failed acknowledgements): reconnecting",
                self.limit_s,
            )
            raise ConsumerStalled(f"consumer stalled for {self.limit_s:g} s")


def install(app: Celery, limit_s: float) -> None:
    """Add the check to ``app``'s workers; ``limit_s`` 0 leaves it out."""
    app.conf.update({STALL_SETTING: limit_s})
    app.steps["consumer"].add(StallWatch)
