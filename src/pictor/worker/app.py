"""The Celery app of distributed mode, built from settings, and its one task.

The task ``pictor.run_job(job_id)`` is a thin adapter: it hands the id to the same
``Runner.execute`` the embedded queue calls, in this worker process's runtime
(:mod:`pictor.worker.process`). The database row is the truth; messages carry ids.

What makes a job survive a worker's death:

- ``task_acks_late``: a message is acknowledged after the job's delivery returns, so a
  worker killed mid-job leaves it unacknowledged and the broker delivers it again
  (RabbitMQ at once when the connection drops; Redis after ``visibility_timeout``);
- ``task_reject_on_worker_lost``: a pool process that dies (prefork) has its message
  put back at once instead of acknowledged as failed;
- prefetch 1 (``worker_prefetch_multiplier``): a worker holds only what it runs;
- ``visibility_timeout`` (Redis) longer than the longest hard time limit plus the lease
  margin, so a job still running is never handed to a second worker;
- soft and hard time limits per kind, sent with each message (see
  :mod:`pictor.jobs.queue.celery`); the pipeline's own timeout comes first.

A worker's consumer that stops taking messages while it runs nothing (a Redis restart
can leave it so) reconnects by itself: :mod:`pictor.worker.liveness`.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task

from pictor.config import Settings
from pictor.jobs.queue.celery import TASK_NAME, kind_time_limits, time_limits
from pictor.pipelines.catalog import build_catalog
from pictor.worker import liveness


def visibility_timeout(settings: Settings) -> float:
    """The configured value, else the longest hard time limit plus the lease margin."""
    if settings.broker.visibility_timeout_s is not None:
        return settings.broker.visibility_timeout_s
    catalog = build_catalog(settings.plugins, timeouts=settings.worker.timeouts)
    limits = kind_time_limits(catalog, settings.broker.time_limit_margin_s)
    longest = max((hard for _, hard in limits.values()), default=600.0)
    return longest + settings.worker.lease_margin_s


def celery_config(settings: Settings) -> dict[str, Any]:
    broker = settings.broker
    if 2 * broker.time_limit_margin_s > settings.worker.lease_margin_s:
        # A lease running out before the hard limit would let the reconciler hand a job
        # to a second worker while the first may still run it.
        raise ValueError(
            "PICTOR_BROKER_TIME_LIMIT_MARGIN_S must be at most half of"
            " PICTOR_WORKER_LEASE_MARGIN_S (the hard limit must come before the lease ends)"
        )
    catalog = build_catalog(settings.plugins, timeouts=settings.worker.timeouts)
    longest_timeout = max((spec.timeout_s for _, spec in catalog.items()), default=300.0)
    soft, hard = time_limits(longest_timeout, broker.time_limit_margin_s)
    return {
        "broker_url": broker.url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": visibility_timeout(settings),
            **broker.transport_options,
        },
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": broker.prefetch,
        # A broker blip must not kill the jobs running meanwhile (Celery 6's default
        # would): they go on, and a redelivery of their message is fenced by its attempt.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_default_queue": broker.interactive_queue,
        "task_create_missing_queues": True,
        # Messages carry their kind's limits; these cover one sent without them.
        "task_soft_time_limit": soft,
        "task_time_limit": hard,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        "worker_enable_remote_control": False,
    }


def build_celery(settings: Settings, *, with_task: bool = False) -> Celery:
    """The app from settings; ``with_task`` registers ``pictor.run_job`` (workers)."""
    if not settings.broker.url:
        raise ValueError("distributed mode needs PICTOR_BROKER_URL")
    app = Celery("pictor", set_as_current=False)
    app.conf.update(celery_config(settings))
    if with_task:
        app.task(name=TASK_NAME, bind=True)(run_job)
        if settings.worker.consumer_stall_s > 0:
            liveness.install(app, settings.worker.consumer_stall_s)
    return app


def run_job(task: Task, job_id: str, attempt: int | None = None, priority: int = 0) -> None:
    """One delivery of a job, run by this process's runtime."""
    from pictor.worker.process import current

    delivery = task.request.delivery_info or {}
    current().run(
        job_id,
        attempt=attempt,
        priority=priority,
        redelivered=bool(delivery.get("redelivered")),
    )
