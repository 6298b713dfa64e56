"""The rules of batches: create (validated whole, priced, reserved, in one transaction)
and cancel (every queued item in one transaction).

A batch's items are ordinary jobs with ``batch_id`` and a priority below interactive
jobs; each reserves its own share of the discounted price as its own ledger cause, as a
job submitted alone does, so the runner charges or releases it like any job. Reads are
in :mod:`pictor.batches.queries`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from pictor.batches.errors import (
    BatchFinished,
    BatchNotFound,
    InvalidBatchItem,
    TooManyItems,
)
from pictor.batches.models import BatchStatus
from pictor.batches.pricing import batch_price
from pictor.batches.queries import (
    BATCH_COLUMNS,
    BATCHES,
    BatchRecord,
    finish_if_done,
    open_items,
    owned_batch,
    record_of,
)
from pictor.batches.schemas import BatchCreate
from pictor.config import Settings
from pictor.credits import ledger
from pictor.credits.ledger import InsufficientCredits
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.engines.catalog import Engines
from pictor.errors import InvalidInput, PictorError
from pictor.ids import new_id
from pictor.jobs.errors import IdempotencyKeyReused
from pictor.jobs.events import Event, EventBus, commit_and_publish
from pictor.jobs.queue import JobQueue
from pictor.jobs.records import JobRecord
from pictor.jobs.schemas import JobCreateBase, job_create_models
from pictor.jobs.service import (
    Submission,
    cancel_queued,
    first_unowned,
    insert_jobs,
    new_job,
    reserve_prices,
)
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry

log = logging.getLogger("pictor.batches")

#: Priority of batch items: below interactive jobs (0), so they run after them.
BATCH_PRIORITY = -1

_b = BATCHES.c
_INSERT_BATCH = insert(BATCHES)
_BY_KEY = select(*BATCH_COLUMNS).where(
    _b.owner_id == bindparam("owner"), _b.idempotency_key == bindparam("key")
)
_MARK_CANCELED = (
    update(BATCHES)
    .where(_b.id == bindparam("b_id"), _b.canceled_at.is_(None))
    .values(canceled_at=bindparam("now"))
)


def _validation_error(exc: ValidationError, tags: frozenset[str]) -> InvalidInput:
    """The deepest problem of a pydantic error, as the jobs API reports one."""
    errors = exc.errors()
    first = max(errors, key=lambda e: len(e.get("loc", ())))
    parts = [str(p) for p in first.get("loc", ())]
    if parts and parts[0] in tags:
        parts = parts[1:]
    path = ".".join(parts)
    message = f"{path}: {first['msg']}" if path else str(first["msg"])
    return InvalidInput(message, code="invalid_request", field=path or None)


@dataclass
class Prepared:
    """A batch checked and priced, ready to insert."""

    batch: BatchRecord
    jobs: list[JobRecord]
    #: How each item was named in the request ("items" or "inputs"), for errors.
    prefix: str


@dataclass
class BatchService:
    db: Database
    bus: EventBus
    catalog: Registry[PipelineSpec]
    engines: Engines
    settings: Settings
    queue: JobQueue | None = None
    #: Asks the webhooks service to send what was just written (no-op without one).
    wake_webhooks: Callable[[], None] = lambda: None
    _models: dict[str, type[JobCreateBase]] = field(default_factory=dict)

    def _create_model(self, kind: str) -> type[JobCreateBase]:
        if not self._models:
            names = [name for name, _ in self.catalog.items()]
            self._models = dict(zip(names, job_create_models(self.catalog), strict=True))
        return self._models[kind]

    # --- create -----------------------------------------------------------------------

    def prepare(
        self,
        owner_id: str,
        body: BatchCreate,
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
    ) -> Prepared:
        """Check every item as its own job would be checked (kind, params, inputs),
        then price them all; raises on the first bad item, naming its index."""
        limit = self.settings.batches.max_items
        prefix = "items" if body.items is not None else "inputs"
        count = len(body.items if body.items is not None else body.inputs or [])
        if count > limit:
            raise TooManyItems(f"a batch takes at most {limit} items, got {count}", field=prefix)
        if count == 0:
            raise InvalidInput(
                "a batch needs at least one item", code="invalid_request", field=prefix
            )
        batch_id = new_id("bat")
        subs = (
            self._subs_from_items(body.items, batch_id)
            if body.items is not None
            else self._subs_from_spec(body, batch_id)
        )
        max_attempts = self.settings.worker.max_attempts
        jobs: list[JobRecord] = []
        prices: list[int] = []
        for index, sub in enumerate(subs):
            try:
                job = new_job(owner_id, sub, self.catalog, self.engines, max_attempts=max_attempts)
            except PictorError as exc:
                raise InvalidBatchItem.at(index, exc, prefix=prefix) from None
            spec = self.catalog.get(sub.kind)
            prices.append(ledger.price_for(self.settings, sub.kind, sub.params, spec=spec))
            jobs.append(job)
        discount = self.settings.batches.discount
        total, shares = batch_price(prices, discount)
        jobs = [replace(job, cost=share) for job, share in zip(jobs, shares, strict=True)]
        batch = BatchRecord(
            id=batch_id,
            owner_id=owner_id,
            status=BatchStatus.QUEUED,
            item_count=len(jobs),
            job_ids=[job.id for job in jobs],
            discount=discount,
            list_price=sum(prices),
            total_cost=total,
            webhook_url=None if body.webhook is None else str(body.webhook),
            webhook_events=None if body.webhook_events is None else list(body.webhook_events),
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            created_at=utcnow(),
            finished_at=None,
            canceled_at=None,
        )
        return Prepared(batch, jobs, prefix)

    def _subs_from_items(self, items: list[dict[str, Any]], batch_id: str) -> list[Submission]:
        tags = frozenset(self.catalog.names())
        subs = []
        for index, item in enumerate(items):
            kind = item.get("kind")
            if not isinstance(kind, str) or kind not in tags:
                error = InvalidInput(
                    f"kind: unknown job kind {kind!r}; known: {', '.join(sorted(tags))}",
                    code="invalid_request",
                    field="kind",
                )
                raise InvalidBatchItem.at(index, error)
            try:
                parsed = self._create_model(kind).model_validate(item)
            except ValidationError as exc:
                raise InvalidBatchItem.at(index, _validation_error(exc, tags)) from None
            extra = sorted(name for name in parsed.model_fields_set if name.startswith("webhook"))
            if extra:
                error = InvalidInput(
                    f"{extra[0]}: a batch item takes no webhook; give the batch one",
                    code="invalid_request",
                    field=extra[0],
                )
                raise InvalidBatchItem.at(index, error)
            upload_ids = []
            for image in parsed.input_list():
                if image.upload_id is None:
                    error = InvalidInput(
                        "input: batch items take upload ids (upload the image first)",
                        code="invalid_request",
                        field="input",
                    )
                    raise InvalidBatchItem.at(index, error)
                upload_ids.append(image.upload_id)
            subs.append(self._sub(kind, upload_ids, cast(Any, parsed).params, batch_id))
        return subs

    def _subs_from_spec(self, body: BatchCreate, batch_id: str) -> list[Submission]:
        assert body.spec is not None and body.inputs is not None
        tags = frozenset(self.catalog.names())
        kind = body.spec.kind
        if kind not in tags:
            raise InvalidInput(
                f"spec.kind: unknown job kind {kind!r}; known: {', '.join(sorted(tags))}",
                code="invalid_request",
                field="spec.kind",
            )
        try:
            params = self.catalog.get(kind).params_model.model_validate(body.spec.params)
        except ValidationError as exc:
            error = _validation_error(exc, tags)
            raise InvalidInput(
                f"spec.params.{error.message}",
                code="invalid_request",
                field="spec.params" + (f".{error.field}" if error.field else ""),
            ) from None
        return [
            self._sub(kind, [ids] if isinstance(ids, str) else list(ids), params, batch_id)
            for ids in body.inputs
        ]

    @staticmethod
    def _sub(kind: str, upload_ids: list[str], params: BaseModel, batch_id: str) -> Submission:
        return Submission(
            kind=kind,
            upload_ids=upload_ids,
            params=params,
            batch_id=batch_id,
            priority=BATCH_PRIORITY,
        )

    async def replay(self, owner_id: str, key: str, request_hash: str) -> BatchRecord | None:
        """The batch an earlier request with this Idempotency-Key made, if any (409 if
        that request had another body)."""
        row = await self.db.read(
            lambda conn: conn.execute(_BY_KEY, {"owner": owner_id, "key": key}).first()
        )
        if row is None:
            return None
        batch = record_of(row)
        if batch.request_hash != request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request body"
            )
        return batch

    async def create(self, prepared: Prepared) -> tuple[BatchRecord, bool]:
        """Insert the batch and all its jobs, each reserving its share, in one
        transaction; then queue the jobs. (batch, created): a keyed request that lost a
        race to an identical one gets the winner."""
        batch = prepared.batch
        await self.db.read(lambda conn: self._check_owned(conn, prepared))
        inserted = await commit_and_publish(
            self.db, self.bus, lambda conn, outbox: self._insert(conn, prepared, outbox)
        )
        if not inserted:
            key, digest = batch.idempotency_key, batch.request_hash
            assert key is not None and digest is not None
            winner = await self.replay(batch.owner_id, key, digest)
            if winner is None:
                raise LookupError(f"no batch with Idempotency-Key {key}")
            return winner, False
        if self.queue is not None:
            for job in prepared.jobs:
                await self.queue.enqueue(
                    job.id, priority=job.priority, kind=job.kind, attempts=job.attempts
                )
        return batch, True

    def _check_owned(self, conn: Connection, prepared: Prepared, *, kinds: bool = False) -> None:
        """Every item's uploads are its owner's, and with ``kinds`` what its kind refers
        to (read before the write transaction: uploads only)."""
        specs = [self.catalog.get(job.kind) for job in prepared.jobs] if kinds else None
        unowned = first_unowned(conn, prepared.jobs, specs)
        if unowned is not None:
            index, error = unowned
            raise InvalidBatchItem.at(index, error, prefix=prepared.prefix)

    def _insert(self, conn: Connection, prepared: Prepared, outbox: list[Event]) -> bool:
        """The batch row, then its items as a job alone is submitted, with one statement
        per table: each item's share reserved as its own ledger cause (before anything
        else: a batch the balance does not cover inserts nothing more), the items
        checked, then inserted with their ``queued`` events."""
        batch = prepared.batch
        if batch.idempotency_key is None:
            conn.execute(_INSERT_BATCH, batch.as_values())
        else:
            try:
                with conn.begin_nested():
                    conn.execute(_INSERT_BATCH, batch.as_values())
            except IntegrityError:
                return False
        try:
            reserve_prices(conn, batch.owner_id, prepared.jobs)
        except InsufficientCredits as exc:
            raise _short(batch.total_cost, exc.details["available"]) from None
        self._check_owned(conn, prepared, kinds=True)
        outbox.extend(insert_jobs(conn, prepared.jobs))
        return True

    # --- cancel -----------------------------------------------------------------------

    async def cancel(self, batch_id: str, owner_id: str) -> None:
        """Cancel every queued item, in one transaction; running ones finish. Canceling
        a canceled batch again cancels what may have been requeued since (a retry)."""
        sent: list[str] = []
        canceled = await commit_and_publish(
            self.db,
            self.bus,
            lambda conn, outbox: self._cancel(conn, batch_id, owner_id, outbox, sent),
        )
        if sent:
            self.wake_webhooks()  # the batch ended, with its final message
        if self.queue is not None:
            await self.queue.discard(canceled)

    @staticmethod
    def _cancel(
        conn: Connection, batch_id: str, owner_id: str, outbox: list[Event], sent: list[str]
    ) -> list[str]:
        batch = owned_batch(conn, batch_id, owner_id)
        if batch is None:
            raise BatchNotFound(f"no batch {batch_id}")
        if batch.canceled_at is None:
            if batch.status == BatchStatus.COMPLETED or open_items(conn, batch_id) == 0:
                raise BatchFinished(f"batch {batch_id} already ended")
            conn.execute(_MARK_CANCELED, {"b_id": batch_id, "now": utcnow()})
        events = cancel_queued(conn, owner_id, batch_id=batch_id)
        finish_if_done(conn, batch_id, sent)
        outbox.extend(events)
        return [event.job_id for event in events]


def _short(required: int, available: int) -> InsufficientCredits:
    return InsufficientCredits(
        f"this batch needs {required} credit(s); {available} available",
        details={"required": required, "available": available},
    )
