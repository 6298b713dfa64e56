"""Reads of batches, and the one write that ends a batch: all sync functions over a Core
``Connection`` (run by ``Database.read``/``write``), one statement where possible.

What a batch shows (counts, progress, money) is read from its jobs, the truth, in one
grouped statement; the ``batches`` row keeps the order of its items, its price and when
it was canceled and ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update

from pictor.batches.models import Batch, BatchStatus
from pictor.batches.schemas import BatchCounts, BatchOut
from pictor.db.base import utcnow
from pictor.jobs.models import FINAL_STATUSES, Job, JobStatus
from pictor.webhooks.service import enqueue_delivery

BATCHES = cast(Table, Batch.__table__)
JOBS = cast(Table, Job.__table__)
_b = BATCHES.c
_j = JOBS.c
BATCH_COLUMNS = tuple(BATCHES.columns)
_OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)

_OWNED = select(*BATCH_COLUMNS).where(_b.id == bindparam("id"), _b.owner_id == bindparam("owner"))
_TALLY = (
    select(
        _j.batch_id,
        _j.status,
        func.count(),
        func.coalesce(func.sum(_j.cost), 0),
        func.coalesce(func.sum(_j.progress), 0),
        func.min(_j.started_at),
        func.max(_j.finished_at),
    )
    .where(_j.batch_id.in_(bindparam("ids", expanding=True)))
    .group_by(_j.batch_id, _j.status)
)
_OPEN_ITEMS = select(func.count()).where(_j.batch_id == bindparam("id"), _j.status.in_(_OPEN))
_FINISH = (
    update(BATCHES)
    .where(_b.id == bindparam("batch_id"), _b.finished_at.is_(None))
    .values(status=bindparam("new_status"), finished_at=bindparam("now"))
)
_ITEMS = select(_j.id, _j.kind, _j.status, _j.cost, _j.error_code, _j.error_message).where(
    _j.id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """Every column of one ``batches`` row, by the same names as :class:`Batch`."""

    id: str
    owner_id: str
    status: str
    item_count: int
    job_ids: list[str]
    discount: float
    list_price: int
    total_cost: int
    webhook_url: str | None
    webhook_events: list[str] | None
    idempotency_key: str | None
    request_hash: str | None
    created_at: datetime
    finished_at: datetime | None
    canceled_at: datetime | None

    def as_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass
class Tally:
    """What a batch's jobs say about it, read in one grouped statement."""

    counts: dict[str, int] = field(default_factory=dict)
    charged: int = 0
    reserved: int = 0
    progress_sum: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def open(self) -> int:
        return sum(self.count(status) for status in _OPEN)


@dataclass(frozen=True)
class BatchView:
    """A batch as a client sees it: its row and what its jobs say."""

    batch: BatchRecord
    tally: Tally

    @property
    def status(self) -> str:
        if self.batch.status in (BatchStatus.COMPLETED, BatchStatus.CANCELED):
            return self.batch.status
        if self.tally.open == 0:
            # Every item ended; the follower has not written it down yet.
            return BatchStatus.CANCELED if self.batch.canceled_at else BatchStatus.COMPLETED
        started = self.batch.item_count - self.tally.count(JobStatus.QUEUED)
        return BatchStatus.RUNNING if started > 0 else BatchStatus.QUEUED

    @property
    def progress(self) -> float:
        n = self.batch.item_count
        if n == 0:
            return 100.0
        ended = n - self.tally.open
        running = self.tally.progress_sum  # progress of open items only (see tally_of)
        value = round((100 * ended + running) / n, 1)
        # 100 means every item ended: an item still open (one that reported 100 % before
        # it is marked succeeded, or a rounding up) keeps the batch just under it.
        return min(value, 99.9) if self.tally.open else value

    @property
    def finished_at(self) -> datetime | None:
        if self.batch.finished_at is not None:
            return self.batch.finished_at
        return self.tally.finished_at if self.tally.open == 0 else None


def record_of(row: Sequence[Any]) -> BatchRecord:
    return BatchRecord(*row)


def tally_of(conn: Connection, batch_ids: Sequence[str]) -> dict[str, Tally]:
    """Counts by status, money and progress of each batch's jobs (one statement)."""
    tallies = {batch_id: Tally() for batch_id in batch_ids}
    if not batch_ids:
        return tallies
    for batch_id, status, n, cost, progress, started, finished in conn.execute(
        _TALLY, {"ids": list(batch_ids)}
    ):
        tally = tallies[batch_id]
        tally.counts[status] = int(n)
        if status == JobStatus.SUCCEEDED:
            tally.charged += int(cost)
        elif status in _OPEN:
            tally.reserved += int(cost)
            tally.progress_sum += int(progress)
        if started is not None and (tally.started_at is None or started < tally.started_at):
            tally.started_at = started
        later = finished is not None and (tally.finished_at is None or finished > tally.finished_at)
        if status in FINAL_STATUSES and later:
            tally.finished_at = finished
    return tallies


def owned_batch(conn: Connection, batch_id: str, owner_id: str) -> BatchRecord | None:
    row = conn.execute(_OWNED, {"id": batch_id, "owner": owner_id}).first()
    return None if row is None else record_of(row)


def view_of(conn: Connection, batch_id: str, owner_id: str) -> BatchView | None:
    batch = owned_batch(conn, batch_id, owner_id)
    if batch is None:
        return None
    return BatchView(batch, tally_of(conn, [batch.id])[batch.id])


def page_of(
    conn: Connection, owner_id: str, cursor: str | None, limit: int, status: str | None = None
) -> list[BatchView]:
    """Up to ``limit`` batches, newest first, after ``cursor`` (the id of the last batch
    of the previous page). ``queued`` and ``running`` are told apart by the jobs, so
    for those the rows are read in chunks until the page is full."""
    query = select(*BATCH_COLUMNS).where(_b.owner_id == owner_id)
    if status in (BatchStatus.COMPLETED, BatchStatus.CANCELED):
        query = query.where(_b.status == status)
    elif status is not None:
        query = query.where(_b.status == BatchStatus.QUEUED)
    views: list[BatchView] = []
    while len(views) < limit:
        chunk = query if cursor is None else query.where(_b.id < cursor)
        rows = conn.execute(chunk.order_by(_b.id.desc()).limit(limit)).all()
        batches = [record_of(row) for row in rows]
        tallies = tally_of(conn, [b.id for b in batches])
        found = [BatchView(b, tallies[b.id]) for b in batches]
        views += [v for v in found if status is None or v.status == status]
        if len(rows) < limit:
            break
        cursor = batches[-1].id
    return views[:limit]


def items_of(conn: Connection, batch: BatchRecord, offset: int, limit: int) -> list[dict[str, Any]]:
    """Items ``offset`` to ``offset + limit`` in their order, with their job's state."""
    ids = batch.job_ids[offset : offset + limit]
    rows = {row[0]: row for row in conn.execute(_ITEMS, {"ids": ids})} if ids else {}
    items = []
    for index, job_id in enumerate(ids, start=offset):
        _, kind, status, cost, error_code, error_message = rows[job_id]
        error = (
            {"code": error_code, "message": error_message or ""}
            if error_code and status in (JobStatus.FAILED, JobStatus.CANCELED)
            else None
        )
        items.append(
            {
                "index": index,
                "job_id": job_id,
                "kind": kind,
                "status": status,
                "cost": cost,
                "error": error,
            }
        )
    return items


def finish_if_done(conn: Connection, batch_id: str, sent: list[str] | None = None) -> bool:
    """Write down that a batch ended once none of its items is queued or running, with
    its final webhook message if it has a webhook (see :func:`notify` for ``sent``);
    True when this call did it (only one ever does)."""
    if open_items(conn, batch_id) > 0:
        return False
    canceled = conn.execute(select(_b.canceled_at).where(_b.id == batch_id)).scalar_one_or_none()
    status = BatchStatus.CANCELED if canceled is not None else BatchStatus.COMPLETED
    moved = conn.execute(_FINISH, {"batch_id": batch_id, "new_status": status, "now": utcnow()})
    if moved.rowcount != 1:
        return False
    notify(conn, batch_id, str(status), key=str(status), sent=sent)
    return True


def batch_view(conn: Connection, batch_id: str) -> BatchView | None:
    """The batch's row, then its jobs' tally (one statement: the counts, progress and
    money in it agree with each other)."""
    row = conn.execute(select(*BATCH_COLUMNS).where(_b.id == batch_id)).first()
    if row is None:
        return None
    return BatchView(record_of(row), tally_of(conn, [batch_id])[batch_id])


def notify(
    conn: Connection,
    batch_id: str,
    event: str,
    *,
    key: str,
    sent: list[str] | None = None,
    view: BatchView | None = None,
) -> bool:
    """Write a ``batch.<event>`` webhook message with the batch as it is now (or as the
    caller read it in ``view``, to describe what it decided on), if the batch has a
    webhook (once per ``key``); True if one was written, and then its id is appended to
    ``sent`` (so the caller wakes the webhooks service after commit)."""
    if view is None:
        view = batch_view(conn, batch_id)
        if view is None:
            return False
    batch = view.batch
    if batch.webhook_url is None:
        return False
    data = batch_out(view).model_dump(mode="json")
    written = enqueue_delivery(
        conn,
        batch.owner_id,
        batch.webhook_url,
        f"batch.{event}",
        data,
        batch_id=batch_id,
        event_key=f"{batch_id}.{key}",
    )
    if written is not None and sent is not None:
        sent.append(written)
    return written is not None


def webhook_events(conn: Connection, batch_id: str) -> frozenset[str] | None:
    """The events a batch's webhook asked for besides the final one (None: no webhook)."""
    row = conn.execute(select(_b.webhook_url, _b.webhook_events).where(_b.id == batch_id)).first()
    if row is None or row[0] is None:
        return None
    return frozenset(row[1] or ())


def batch_out(view: BatchView) -> BatchOut:
    """The wire view of a batch (the API's answer and its webhook messages' ``data``)."""
    batch, tally = view.batch, view.tally
    return BatchOut(
        id=batch.id,
        status=view.status,
        item_count=batch.item_count,
        counts=BatchCounts(**tally.counts),
        progress=view.progress,
        discount=batch.discount,
        list_price=batch.list_price,
        total_cost=batch.total_cost,
        cost_so_far=tally.charged,
        reserved=tally.reserved,
        webhook=batch.webhook_url,
        webhook_events=batch.webhook_events,
        cancel_requested=batch.canceled_at is not None,
        created_at=batch.created_at,
        started_at=tally.started_at,
        finished_at=view.finished_at,
        canceled_at=batch.canceled_at,
        results_url=f"/v1/batches/{batch.id}/results.zip",
    )


def item_count(conn: Connection, batch_id: str) -> int:
    return int(conn.execute(select(_b.item_count).where(_b.id == batch_id)).scalar_one())


def open_items(conn: Connection, batch_id: str) -> int:
    """How many of a batch's items are queued or running."""
    return int(conn.execute(_OPEN_ITEMS, {"id": batch_id}).scalar_one())


def batches_of_jobs(conn: Connection, job_ids: Sequence[str]) -> dict[str, str | None]:
    """The batch of each of these jobs (None for an interactive job)."""
    query = select(_j.id, _j.batch_id).where(_j.id.in_(job_ids))
    return {str(row[0]): row[1] for row in conn.execute(query)}


def unfinished_batches(conn: Connection) -> list[str]:
    rows = conn.execute(select(_b.id).where(_b.finished_at.is_(None)).order_by(_b.id))
    return [str(row[0]) for row in rows]
