"""The parts of a running pictor, built once from settings and injected everywhere."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from pictor.accounts.errors import EmailTaken
from pictor.accounts.service import AccountService
from pictor.config import Settings
from pictor.db.engine import Database
from pictor.db.migrate import upgrade
from pictor.engines.catalog import Engines, build_engines
from pictor.images.limits import ImageLimits
from pictor.jobs.cpu import CpuPool
from pictor.jobs.events import Event, EventBus
from pictor.jobs.events_settings import build_event_bus, start_bus, stop_bus
from pictor.jobs.queue import JobQueue
from pictor.jobs.queue.local import LocalQueue
from pictor.jobs.reconciler import Reconciler
from pictor.jobs.repository import JobRepository
from pictor.jobs.runner import RetryPolicy, Runner
from pictor.jobs.service import Submission, Submitted, submit_job
from pictor.net.fetch import FetchLimits
from pictor.net.guard import NetworkPolicy
from pictor.observability.metrics import Metrics
from pictor.pipelines.catalog import build_catalog
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry
from pictor.storage.base import BlobStore
from pictor.storage.from_settings import build_store
from pictor.storage.signing import UrlSigner

log = logging.getLogger("pictor")


class Service(Protocol):
    """Something an area runs beside the jobs (a purge timer, a delivery loop)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _service_factories() -> dict[str, Callable[[Runtime], Service | None]]:
    from pictor.batches import background as batches
    from pictor.credits import background as credits
    from pictor.gallery import background as gallery
    from pictor.studio import background as studio
    from pictor.webhooks import background as webhooks

    return {
        "batches": batches.attach,
        "credits": credits.attach,
        "gallery": gallery.attach,
        "studio": studio.attach,
        "webhooks": webhooks.attach,
    }


@dataclass
class Runtime:
    settings: Settings
    db: Database
    store: BlobStore
    signer: UrlSigner
    bus: EventBus
    engines: Engines
    catalog: Registry[PipelineSpec]
    metrics: Metrics
    image_limits: ImageLimits
    network: NetworkPolicy
    fetch_limits: FetchLimits
    run_workers: bool = True
    #: Run the reconciler loop; default: where jobs run in-process, and on the API nodes
    #: of distributed mode (leader-safe there).
    reconcile: bool | None = None
    #: Start the areas' background services (a distributed worker process does not).
    run_services: bool = True
    cpu: CpuPool | None = None
    runner: Runner | None = None
    queue: JobQueue | None = None
    reconciler: Reconciler | None = None
    admin_key_created: str | None = None
    #: Each area's background service by area name (see :func:`_service_factories`).
    services: dict[str, Service] = field(default_factory=dict)
    _job_counts: list[tuple[tuple[str, ...], float]] = field(default_factory=list)
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    async def submit_job(self, owner_id: str, sub: Submission) -> Submitted:
        """Submit a job with this runtime's parts and its attempts and prices settings
        (:func:`pictor.jobs.service.submit_job`); the caller enqueues it."""
        return await submit_job(
            self.db,
            self.bus,
            self.catalog,
            self.engines,
            owner_id,
            sub,
            max_attempts=self.settings.worker.max_attempts,
            prices=self.settings.credits,
        )

    async def _ensure_admin(self) -> None:
        """Create the first admin unless one exists. Several nodes starting at once on a
        new database race for it: the losers find the winner's admin on a second look."""
        key = self.settings.admin.api_key
        secret = key.get_secret_value() if key else None
        for attempt in (1, 2):
            try:
                async with self.db.session() as session:
                    accounts = AccountService(
                        session, signup_grant=self.settings.credits.signup_grant
                    )
                    self.admin_key_created = await accounts.ensure_admin(
                        self.settings.admin.email, secret
                    )
                return
            except (EmailTaken, IntegrityError):
                if attempt == 2:
                    raise
                log.info("another node created the first admin at the same time")

    async def start(self, *, migrate: bool = True, ensure_admin: bool = True) -> None:
        if migrate:
            await upgrade(self.settings.database_url)
        await start_bus(self.bus)
        if ensure_admin:
            await self._ensure_admin()
        self.metrics.add_gauge_source(
            "jobs_by_status",
            "Jobs by kind and status (from the database).",
            ["kind", "status"],
            lambda: list(self._job_counts),
        )
        self.cpu = CpuPool(
            self.settings.worker.concurrency, processes=self.settings.worker.process_pool
        )
        runner = Runner(
            db=self.db,
            bus=self.bus,
            store=self.store,
            catalog=self.catalog,
            engines=self.engines,
            image_limits=self.image_limits,
            cpu=self.cpu,
            retry=RetryPolicy(
                self.settings.worker.backoff_base_s, self.settings.worker.backoff_max_s
            ),
            lease_margin_s=self.settings.worker.lease_margin_s,
        )
        self.runner = runner
        distributed = self.settings.broker.url is not None
        if distributed:
            # Jobs run in `pictor worker` processes: this node only sends their ids.
            from pictor.jobs.queue.celery import CeleryQueue
            from pictor.worker.app import build_celery

            self.run_workers = False
            app = build_celery(self.settings)
            self.queue = CeleryQueue(app, self.db, self.catalog, self.settings.broker)
        else:
            self.queue = LocalQueue(runner, self.settings.worker.concurrency)
        self.reconciler = Reconciler(
            self.db,
            self.bus,
            self.queue,
            distributed=distributed,
            requeue_after_s=self.settings.broker.requeue_after_s,
        )
        if self.run_workers:
            await self.queue.start()
            # Embedded mode has one node: whatever was running died with the last process.
            await self.reconciler.run_once(recover_all_running=True)
        if self.run_workers or distributed if self.reconcile is None else self.reconcile:
            self._background.append(asyncio.create_task(self._reconcile_forever()))
        if not self.run_services:
            return
        for name, attach in _service_factories().items():
            service = attach(self)
            if service is not None:
                await service.start()
                self.services[name] = service

    async def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            try:
                await service.stop()
            except Exception:
                log.exception("a service failed to stop")
        self.services.clear()
        for task in self._background:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if self.queue is not None:
            await self.queue.stop()
        if self.cpu is not None:
            self.cpu.shutdown()
        await stop_bus(self.bus)
        await self.db.dispose()

    async def _reconcile_forever(self) -> None:
        assert self.reconciler is not None
        while True:
            await asyncio.sleep(self.settings.worker.reconcile_interval_s)
            try:
                await self.reconciler.run_once()
            except Exception:
                log.exception("reconciler pass failed")

    def _observe_final(self, event: Event) -> None:
        """Count every job that ends, however it ends (worker, cancel, reconciler)."""
        if not event.is_final:
            return
        kind = str(event.data.get("kind", "unknown"))
        self.metrics.jobs_total.labels(kind, event.type).inc()
        wait, run = event.data.get("queue_wait_s"), event.data.get("run_s")
        if wait is not None:
            self.metrics.job_queue_wait_seconds.labels(kind).observe(float(wait))
        if run is not None:
            self.metrics.job_run_seconds.labels(kind).observe(float(run))

    async def refresh_job_counts(self) -> None:
        async with self.db.read_session() as session:
            rows = await JobRepository(session).counts_by_kind_status()
        self._job_counts = [((kind, status), float(n)) for kind, status, n in rows]


def build_runtime(
    settings: Settings,
    *,
    store: BlobStore | None = None,
    engines: Engines | None = None,
    run_workers: bool = True,
    reconcile: bool | None = None,
    run_services: bool = True,
) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(
        settings.database_url,
        echo=settings.database.echo,
        pool_size=settings.database.pool_size,
        busy_ms=settings.database.busy_timeout_ms,
    )
    network = NetworkPolicy.from_strings(settings.fetch.allow)
    fetch_limits = FetchLimits(
        max_bytes=settings.images.max_bytes,
        timeout_s=settings.fetch.timeout_s,
        max_redirects=settings.fetch.max_redirects,
    )
    bus = build_event_bus(settings)
    runtime = Runtime(
        settings=settings,
        db=db,
        store=store or build_store(settings),
        signer=UrlSigner(settings.security.secret_key.get_secret_value()),
        bus=bus,
        engines=engines or build_engines(settings),
        catalog=build_catalog(settings.plugins, timeouts=settings.worker.timeouts),
        metrics=Metrics(),
        image_limits=ImageLimits(
            max_bytes=settings.images.max_bytes,
            min_side=settings.images.min_side,
            max_side=settings.images.max_side,
        ),
        network=network,
        fetch_limits=fetch_limits,
        run_workers=run_workers,
        reconcile=reconcile,
        run_services=run_services,
    )
    bus.observers.append(runtime._observe_final)
    return runtime
