"""Live message changes of each session, for the session's event stream.

The database is the truth (every change is stored with its event number, see
``models``); the feed only tells this process's listeners about a change as soon as
it is committed. Listeners that miss something (another process made the change)
catch up from the database.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pictor.studio.repository import MessageRecord


@dataclass
class SessionFeed:
    _subs: dict[str, set[asyncio.Queue[MessageRecord]]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def publish(self, message: MessageRecord) -> None:
        """Tell the session's listeners about a committed change."""
        for queue in list(self._subs.get(message.session_id, ())):
            queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, session_id: str) -> AsyncIterator[asyncio.Queue[MessageRecord]]:
        queue: asyncio.Queue[MessageRecord] = asyncio.Queue()
        self._subs[session_id].add(queue)
        try:
            yield queue
        finally:
            self._subs[session_id].discard(queue)
            if not self._subs[session_id]:
                del self._subs[session_id]
