"""The bare Celery baseline of the distributed benches: one trivial task on the same
broker, with pictor's own delivery settings (late acknowledgement, reject on worker
loss, prefetch 1, JSON) plus a Redis result backend so a client can wait for it.

Configured from the environment (set by distributed_common): ``BARE_BROKER``,
``BARE_QUEUE``, ``BARE_PREFIX`` (a key prefix of the run, for broker and results).
"""

from __future__ import annotations

import os
import time

from celery import Celery

broker = os.environ["BARE_BROKER"]
prefix = {"global_keyprefix": os.environ["BARE_PREFIX"] + "bare:"}

app = Celery("distributed_bare", broker=broker, backend=broker)
app.conf.update(
    broker_transport_options=prefix,
    result_backend_transport_options=prefix,
    result_expires=600,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue=os.environ["BARE_QUEUE"],
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    worker_enable_remote_control=False,
)


@app.task(name="bench.bare_noop")
def bare_noop() -> float:
    """No work: returns when it ran (wall clock), for drain rates."""
    return time.time()
