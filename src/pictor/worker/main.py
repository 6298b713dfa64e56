"""``pictor worker``: migrate, then run a Celery worker in this process."""

from __future__ import annotations

import logging

from pictor.config import Settings
from pictor.db.migrate import upgrade_sync
from pictor.observability.logging import configure_logging
from pictor.worker import process
from pictor.worker.app import build_celery

log = logging.getLogger("pictor.worker")


def worker_argv(
    settings: Settings,
    *,
    concurrency: int | None = None,
    queues: list[str] | None = None,
    pool: str | None = None,
    loglevel: str | None = None,
    hostname: str | None = None,
) -> list[str]:
    broker = settings.broker
    argv = [
        "worker",
        f"--concurrency={concurrency or settings.worker.concurrency}",
        f"--queues={','.join(queues or [broker.interactive_queue, broker.batch_queue])}",
        f"--pool={pool or broker.pool}",
        f"--loglevel={(loglevel or settings.log.level).upper()}",
        f"--prefetch-multiplier={broker.prefetch}",
        # No start-up handshakes with other workers: nothing here uses them.
        "--without-mingle",
        "--without-gossip",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    return argv


def run_worker(settings: Settings, **options: object) -> None:
    configure_logging(
        options.get("loglevel") or settings.log.level,  # type: ignore[arg-type]
        json=settings.log.json_format,
        secrets=[settings.security.secret_key.get_secret_value()],
    )
    # Once per node, before any process forks: the processes start with migrate off.
    upgrade_sync(settings.database_url)
    process.configure(settings)
    app = build_celery(settings, with_task=True)
    argv = worker_argv(settings, **options)  # type: ignore[arg-type]
    log.info("starting a celery worker: %s", " ".join(argv[1:]))
    app.worker_main(argv)
