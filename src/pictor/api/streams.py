"""Replay stored events, then follow live ones: shared by SSE, WebSocket and Prefer: wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial

from pictor.jobs.events import RESYNC, Event, events_after
from pictor.runtime import Runtime

KEEPALIVE_S = 15.0
_RESYNC_NOW = Event("", 0, RESYNC, {}, datetime.min)


async def follow_job(
    runtime: Runtime, job_id: str, after_seq: int = 0, *, keepalive_s: float = KEEPALIVE_S
) -> AsyncIterator[Event | None]:
    """Every event of a job after ``after_seq`` in order, ending with the final one.

    Yields None when nothing happened for ``keepalive_s`` (so SSE can send a comment).
    Subscribing before reading the stored events means nothing falls in between; a
    live event already sent from the database is dropped (``seq`` ≤ the last sent), and
    one that skips numbers (they were published on another node, or lost) first has
    the missing ones read back. On a bus across nodes, whose live delivery can miss
    events, the database is also read after its :data:`RESYNC` marker and at each
    quiet ``keepalive_s`` (a final event lost with nothing after it still arrives).
    """
    check_quiet = bool(getattr(runtime.bus, "distributed", False))
    last = after_seq
    async with runtime.bus.subscribe(job_id) as live:
        backlog = await runtime.db.read(partial(events_after, job_id=job_id, after_seq=last))
        for event in backlog:
            yield event
            last = event.seq
            if event.is_final:
                return
        while True:
            try:
                event = await asyncio.wait_for(live.get(), timeout=keepalive_s)
            except TimeoutError:
                if not check_quiet:
                    yield None
                    continue
                event = _RESYNC_NOW
            if event.type == RESYNC:
                events = await runtime.db.read(partial(events_after, job_id=job_id, after_seq=last))
                if not events:
                    if event is _RESYNC_NOW:
                        yield None
                    continue
            elif event.seq <= last:
                continue
            elif event.seq > last + 1:
                # Live delivery skipped some (another node published them): read them back.
                missed = await runtime.db.read(partial(events_after, job_id=job_id, after_seq=last))
                events = [e for e in missed if e.seq < event.seq] + [event]
            else:
                events = [event]
            for item in events:
                yield item
                last = item.seq
                if item.is_final:
                    return
