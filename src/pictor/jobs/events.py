"""Job events: stored with a per-job sequence number, then published.

A state change appends a ``job_events`` row inside the caller's transaction and
queues the event on the session; :func:`publishing` publishes the queued events
only after the transaction commits, so a subscriber never sees an event that the
database does not have.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.jobs.models import Job, JobEvent

FINAL_EVENT_TYPES = frozenset({"succeeded", "failed", "canceled"})
#: Not a job event: a distributed bus puts it (seq 0) in per-job queues after its
#: live delivery had a hole, so followers read what they missed from the database.
RESYNC = "pictor.resync"
_OUTBOX = "pictor_outbox"
T = TypeVar("T")


@dataclass(frozen=True)
class Event:
    job_id: str
    seq: int
    type: str
    data: dict[str, Any]
    created_at: datetime

    @property
    def is_final(self) -> bool:
        return self.type in FINAL_EVENT_TYPES

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "seq": self.seq,
            "type": self.type,
            "data": self.data,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """The event :meth:`to_dict` gave (once through JSON)."""
        return cls(
            job_id=data["job_id"],
            seq=int(data["seq"]),
            type=data["type"],
            data=data["data"],
            created_at=datetime.fromisoformat(data["created_at"]),
        )


class EventBus(Protocol):
    async def publish(self, event: Event) -> None:
        """Deliver an already stored event to current subscribers (best effort)."""
        ...

    def subscribe(self, job_id: str | None, *, wants: Wants | None = None) -> Any:
        """Async context manager yielding an ``asyncio.Queue[Event]`` for one job (or all).
        ``wants``, if given, is asked once for every event, in order, before the event is
        queued; only those it answers True for are (see :class:`Subscribers`)."""
        ...


#: Asked once per event, in order, whether a subscription takes it.
Wants = Callable[["Event"], bool]


class Subscribers:
    """The subscriptions of one process, which every bus fans its events out to: per job,
    and for every job (services), each with an optional ``wants`` filter. A filter may
    learn from what it is asked (it is asked exactly once per event, in publish order),
    so a follower can drop events before they are queued, or before a bus across nodes
    claims them for it (``subscribe_shared``)."""

    def __init__(self) -> None:
        self._queues: dict[str | None, dict[asyncio.Queue[Event], Wants | None]] = {}

    @asynccontextmanager
    async def subscribe(
        self, job_id: str | None, wants: Wants | None = None
    ) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._queues.setdefault(job_id, {})[queue] = wants
        try:
            yield queue
        finally:
            queues = self._queues.get(job_id, {})
            queues.pop(queue, None)
            if not queues:
                self._queues.pop(job_id, None)

    def __bool__(self) -> bool:
        return bool(self._queues)

    def listening(self, job_id: str) -> bool:
        """Whether any subscription may take an event of ``job_id``."""
        return job_id in self._queues or None in self._queues

    def taking(self, event: Event) -> list[asyncio.Queue[Event]]:
        """The queues that take ``event`` (asking each filter once)."""
        taken = []
        for key in (event.job_id, None):
            for queue, wants in list(self._queues.get(key, {}).items()):
                if wants is None or wants(event):
                    taken.append(queue)
        return taken

    def deliver(self, event: Event) -> None:
        for queue in self.taking(event):
            queue.put_nowait(event)

    def resync(self) -> None:
        """Tell every per-job follower that live delivery had a hole (a distributed bus
        lost its subscription for a while): a :data:`RESYNC` marker in each queue."""
        now = utcnow()
        for job_id, queues in list(self._queues.items()):
            if job_id is None:
                continue
            marker = Event(job_id, 0, RESYNC, {}, now)
            for queue in list(queues):
                queue.put_nowait(marker)


@dataclass
class LocalEventBus:
    """The in-process bus of embedded mode."""

    #: Live delivery never misses an event: streams need not look at the database.
    distributed = False

    _subs: Subscribers = field(default_factory=Subscribers)
    #: Called synchronously for every event before any subscriber sees it (metrics).
    observers: list[Callable[[Event], None]] = field(default_factory=list)

    async def start(self) -> None:
        """Nothing to connect (the same lifecycle as the distributed buses)."""

    async def stop(self) -> None:
        pass

    async def publish(self, event: Event) -> None:
        for observe in self.observers:
            observe(event)
        self._subs.deliver(event)

    def subscribe(
        self, job_id: str | None, *, wants: Wants | None = None
    ) -> AbstractAsyncContextManager[asyncio.Queue[Event]]:
        return self._subs.subscribe(job_id, wants)


def subscribe_once(bus: EventBus, group: str, *, wants: Wants | None = None) -> Any:
    """Like ``bus.subscribe(None)``, for a service whose work must be done once per
    event across the deployment (it writes to the shared database): on a bus across
    nodes each event goes to one node's ``group`` subscribers only (``wants`` is asked
    on every node before the event is claimed); on the in-process bus this is
    ``subscribe(None)``."""
    shared = getattr(bus, "subscribe_shared", None)
    return shared(group, wants=wants) if shared is not None else bus.subscribe(None, wants=wants)


class UnflaggedJobs:
    """Which jobs a follower can leave alone, learnt from their ``queued`` events.

    A job's first event (``queued``, seq 1) says in ``data[flag]`` whether the job has
    what a follower works on (``webhook``: a webhook URL; ``studio``: a studio message).
    :meth:`wants` is False for every event of a job whose queued event said False (the
    job is forgotten at its final event) and True otherwise, including every event of a
    job whose queued event this process never heard (created before it started, or a
    queued event without the flag): the follower looks those up as before. Used as a
    subscription's ``wants`` filter (asked once per event, in order)."""

    def __init__(self, flag: str, limit: int = 100_000) -> None:
        self.flag = flag
        self.limit = limit
        self._unflagged: set[str] = set()

    def wants(self, event: Event) -> bool:
        if event.seq == 1 and event.type == "queued":
            if event.data.get(self.flag) is not False:
                return True
            if len(self._unflagged) >= self.limit:
                # Jobs whose end this process never heard: forget them (looked up if seen).
                self._unflagged.clear()
            self._unflagged.add(event.job_id)
            return False
        if event.job_id not in self._unflagged:
            return True
        if event.is_final:
            self._unflagged.discard(event.job_id)
        return False


def final_event_data(
    data: dict[str, Any],
    kind: str,
    created_at: datetime | None,
    started_at: datetime | None,
    run_seconds: float | None,
) -> dict[str, Any]:
    """A final event also carries the job's kind and timings, so whoever follows the
    stream (metrics, webhooks, clients) needs no second read."""
    wait = (started_at - created_at).total_seconds() if started_at and created_at else None
    return {**data, "kind": kind, "queue_wait_s": wait, "run_s": run_seconds}


async def record_event(
    session: AsyncSession, job_id: str, type_: str, data: dict[str, Any]
) -> Event:
    """Append an event to a job inside the caller's ORM transaction (the paths that
    are not hot: cancel, reconciler). See :mod:`pictor.jobs.transitions` for the rest."""
    row = (
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(event_seq=Job.event_seq + 1)
            .returning(Job.event_seq, Job.kind, Job.created_at, Job.started_at, Job.run_seconds)
        )
    ).first()
    if row is None:
        raise LookupError(job_id)
    seq, kind, created_at, started_at, run_seconds = row
    if type_ in FINAL_EVENT_TYPES:
        data = final_event_data(data, kind, created_at, started_at, run_seconds)
    now = utcnow()
    session.add(JobEvent(job_id=job_id, seq=seq, type=type_, data=data, created_at=now))
    event = Event(job_id=job_id, seq=seq, type=type_, data=data, created_at=now)
    session.info.setdefault(_OUTBOX, []).append(event)
    return event


@asynccontextmanager
async def publishing(db: Database, bus: EventBus) -> AsyncIterator[AsyncSession]:
    """A write transaction whose recorded events are published after it commits."""
    async with db.session() as session:
        yield session
        events: list[Event] = session.info.pop(_OUTBOX, [])
    for event in events:
        await bus.publish(event)


async def commit_and_publish(
    db: Database, bus: EventBus, unit: Callable[[Connection, list[Event]], T]
) -> T:
    """Run ``unit`` as one write transaction; publish the events it put in its outbox
    (the list it is given) only once the transaction has committed."""
    outbox: list[Event] = []
    result = await db.write(lambda conn: unit(conn, outbox))
    for event in outbox:
        await bus.publish(event)
    return result


def queue_for_publishing(session: AsyncSession, event: Event) -> None:
    """Have :func:`publishing` publish an event stored through the session's connection."""
    session.info.setdefault(_OUTBOX, []).append(event)


_EVENTS_AFTER = (
    select(JobEvent.job_id, JobEvent.seq, JobEvent.type, JobEvent.data, JobEvent.created_at)
    .where(JobEvent.job_id == bindparam("job_id"), JobEvent.seq > bindparam("after_seq"))
    .order_by(JobEvent.seq)
)


def events_after(conn: Connection, job_id: str, after_seq: int = 0) -> list[Event]:
    """A job's stored events after ``after_seq``, in order (one statement)."""
    rows = conn.execute(_EVENTS_AFTER, {"job_id": job_id, "after_seq": after_seq})
    return [Event(*row) for row in rows]


async def stored_events(session: AsyncSession, job_id: str, after_seq: int = 0) -> list[Event]:
    rows = await session.scalars(
        select(JobEvent)
        .where(JobEvent.job_id == job_id, JobEvent.seq > after_seq)
        .order_by(JobEvent.seq)
    )
    return [Event(r.job_id, r.seq, r.type, r.data, r.created_at) for r in rows]
