"""Replay stored events, then follow live ones: shared by SSE, WebSocket and Prefer: wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial

from pictor.jobs.events import Event, events_after
from pictor.runtime import Runtime

KEEPALIVE_S = 15.0


async def follow_job(
    runtime: Runtime, job_id: str, after_seq: int = 0, *, keepalive_s: float = KEEPALIVE_S
) -> AsyncIterator[Event | None]:
    """Every event of a job after ``after_seq`` in order, ending with the final one.

    Yields None when nothing happened for ``keepalive_s`` (so SSE can send a comment).
    Subscribing before reading the stored events means nothing falls in between.
    """
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
                yield None
                continue
            if event.seq <= last:
                continue
            if event.seq > last + 1:
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
