"""Sliding-window rate limits for sign-in: the :class:`RateLimiter` protocol, the
in-process window, and the choice of one from settings.

One API process counts in its memory (:class:`SlidingWindowLimiter`). Several API
processes or nodes share their counts through Redis
(:mod:`pictor.accounts.ratelimit_redis`) when a Redis URL is configured or found in
the events or broker settings; without one each process counts on its own.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from pictor.accounts.errors import RateLimited
from pictor.accounts.settings import LOCAL, REDIS_SCHEMES

if TYPE_CHECKING:
    from pictor.config import Settings

log = logging.getLogger("pictor.auth")


class RateLimiter(Protocol):
    """At most ``limit`` attempts per key in any ``window_s`` seconds."""

    limit: int
    window_s: float

    async def hit(self, keys: Iterable[str], what: str = "attempts") -> None:
        """Count one attempt against every key, or raise :class:`RateLimited` (counting
        nothing) if any key is already at its limit; ``what`` names the attempts in the
        refusal's message."""
        ...

    async def aclose(self) -> None:
        """Release the limiter's connections (a no-op for the in-process one)."""
        ...


def refusal(what: str, wait_s: float) -> RateLimited:
    """The error for an attempt refused until a slot frees in ``wait_s`` seconds."""
    retry_after = max(1, math.ceil(wait_s))
    return RateLimited(f"too many {what}; try again in {retry_after} s", retry_after_s=retry_after)


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in any ``window_s`` seconds (a log of hit times),
    in this process's memory."""

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

    async def hit(self, keys: Iterable[str], what: str = "attempts") -> None:
        """Count one attempt against every key, or raise :class:`RateLimited` (counting
        nothing) if any key is already at its limit."""
        now = self._clock()
        logs = [self._recent(key, now) for key in keys]
        # The slot frees when the hit `limit` places from the newest leaves the window.
        waits = [h[len(h) - self.limit] + self.window_s - now for h in logs if len(h) >= self.limit]
        if waits:
            raise refusal(what, max(waits))
        for hits in logs:
            hits.append(now)

    async def aclose(self) -> None:
        return None


class SignInLimiters(NamedTuple):
    login: RateLimiter
    register: RateLimiter


def rate_limit_url(settings: Settings) -> str | None:
    """The Redis URL the sign-in limits are counted in, or None for in-process:
    ``PICTOR_AUTH_RATE_LIMIT_URL``, else the events URL or the broker URL if it is
    a Redis one."""
    url = settings.auth.rate_limit_url
    if url == LOCAL:
        return None
    if url:
        return url
    for candidate in (settings.events.url, settings.broker.url):
        if candidate and candidate.startswith(REDIS_SCHEMES):
            return candidate
    return None


def build_sign_in_limiters(
    settings: Settings, *, clock: Callable[[], float] | None = None
) -> SignInLimiters:
    """The login and registration limiters of an API process, from settings. ``clock``
    (seconds) replaces the clock of the windows: time.monotonic in-process, the Redis
    server's clock in Redis (one clock for every node)."""
    auth = settings.auth
    url = rate_limit_url(settings)
    if url is None:
        if settings.broker.url is not None and auth.rate_limit_url != LOCAL:
            log.warning(
                "distributed mode without Redis for the sign-in rate limits: each API"
                " process counts logins on its own (set PICTOR_AUTH_RATE_LIMIT_URL)"
            )
        local_clock = clock or time.monotonic
        return SignInLimiters(
            SlidingWindowLimiter(auth.login_per_minute, clock=local_clock),
            SlidingWindowLimiter(auth.register_per_minute, clock=local_clock),
        )
    try:
        from pictor.accounts.ratelimit_redis import RedisWindows
    except ImportError as exc:  # pragma: no cover - redis ships with pictor[distributed]
        raise RuntimeError(
            "sign-in rate limits in Redis need the redis package: pip install"
            " 'pictor[distributed]' (or set PICTOR_AUTH_RATE_LIMIT_URL=local)"
        ) from exc
    windows = RedisWindows.from_url(
        url,
        prefix=auth.rate_limit_prefix,
        timeout_s=auth.rate_limit_timeout_s,
        retry_s=auth.rate_limit_retry_s,
        clock=clock,
    )
    return SignInLimiters(
        windows.limiter("login", auth.login_per_minute),
        windows.limiter("register", auth.register_per_minute),
    )
