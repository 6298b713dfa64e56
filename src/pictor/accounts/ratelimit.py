"""Sliding-window rate limits for sign-in, in this process's memory.

In distributed mode every API node counts on its own, so the effective limit is the
per-node limit times the number of nodes; a shared store (Redis) would be needed to
count across nodes.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable

from pictor.accounts.errors import RateLimited


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in any ``window_s`` seconds (a log of hit times)."""

    def __init__(
        self,
        limit: int,
        window_s: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._forget_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window_s]
        for key in idle:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:
            # Still full of active keys: forgetting is safer than growing without bound.
            self._hits.clear()

    def hit(self, keys: Iterable[str], what: str = "attempts") -> None:
        """Count one attempt against every key, or raise :class:`RateLimited` (counting
        nothing) if any key is already at its limit."""
        now = self._clock()
        logs = [(key, self._recent(key, now)) for key in keys]
        waits = [hits[0] + self.window_s - now for _, hits in logs if len(hits) >= self.limit]
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise RateLimited(
                f"too many {what}; try again in {retry_after} s", retry_after_s=retry_after
            )
        for _, hits in logs:
            hits.append(now)
