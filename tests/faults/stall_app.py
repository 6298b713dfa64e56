"""A bare Celery app with pictor's delivery settings and its liveness check, for the
stalled-consumer test (tests/faults/test_consumer_stall.py) to run as a real worker.

Its tasks write files in ``STALL_DIR``: ``gated`` says it started, waits for the file
``open`` (so the test decides when it ends), then says it is done; ``mark`` just says
it ran. ``STALL_LIMIT_S`` is ``PICTOR_WORKER_CONSUMER_STALL_S`` (0: no check).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import Celery

from pictor.worker import liveness

OUT = Path(os.environ.get("STALL_DIR", "."))
app = Celery("stall", broker=os.environ.get("STALL_BROKER", "memory://"), set_as_current=False)
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_cancel_long_running_tasks_on_connection_loss=False,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    worker_enable_remote_control=False,
)
if float(os.environ.get("STALL_LIMIT_S", "0")) > 0:
    liveness.install(app, float(os.environ["STALL_LIMIT_S"]))


@app.task(name="gated")
def gated(n: int) -> None:
    (OUT / f"started-{n}").touch()
    deadline = time.monotonic() + 60
    while not (OUT / "open").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the task's own wait for the test's gate, with a deadline
    (OUT / f"done-{n}").touch()


@app.task(name="mark")
def mark(n: int) -> None:
    (OUT / f"mark-{n}").touch()
