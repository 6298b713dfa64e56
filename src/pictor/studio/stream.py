"""A session's event stream: stored changes after a number, then live ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from pictor.studio.repository import MessageRecord
from pictor.studio.service import Studio

KEEPALIVE_S = 15.0


async def follow_session(
    studio: Studio,
    session_id: str,
    live: asyncio.Queue[MessageRecord],
    after_seq: int = 0,
    *,
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncIterator[MessageRecord | None]:
    """Every change of the session's messages after event ``after_seq``, in order, for
    as long as the caller listens. Replayed changes are the messages' stored state
    (a message changed twice since then is sent once, as it is now).

    Yields None when nothing happened for ``keepalive_s``. Changes committed by another
    process are not in this process's feed: they are read back at each quiet interval.
    ``live`` is the caller's subscription to the session's feed, taken before this is
    called: nothing then falls between the stored state and the live changes.
    """
    last = after_seq
    for message in await studio.messages_after(session_id, last):
        yield message
        last = message.seq
    while True:
        try:
            message = await asyncio.wait_for(live.get(), timeout=keepalive_s)
        except TimeoutError:
            missed = await studio.messages_after(session_id, last)
            if not missed:
                yield None
            for item in missed:
                yield item
                last = item.seq
            continue
        if message.seq <= last:
            continue
        batch = [message]
        if message.seq > last + 1:
            # Published out of order, or changed elsewhere: read the gap back.
            stored = await studio.messages_after(session_id, last)
            batch = [m for m in stored if m.seq < message.seq] + batch
        for item in batch:
            yield item
            last = item.seq
