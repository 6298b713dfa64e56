"""Sign-in rate limits shared by every API process through Redis.

Each (scope, identity) is a sorted set of hit times in milliseconds, under
``{prefix}:{scope}:{kind}:{sha256 of the identity}`` (no email address is stored in
Redis). One Lua script per attempt, atomic on the server, drops the hits that left
the window, refuses if any key is at its limit (counting nothing), else adds the hit
to every key and sets each key to expire one window after its newest hit, so an idle
key disappears by itself.

The window's clock is the Redis server's (``TIME``), one clock for every node; tests
pass their own.

Redis unreachable (refused, timed out, any Redis error): the attempt is counted in
this process's memory instead (fail open to the in-process window, a warning logged
once per outage), and Redis is asked again after ``retry_s``. A login never fails
because Redis did; during an outage each process enforces the limit on its own.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from pictor.accounts.ratelimit import SlidingWindowLimiter, refusal

log = logging.getLogger("pictor.auth")

# KEYS: one sorted set per identity. ARGV: now in ms ('' = the server's clock),
# window in ms, limit, a unique member for this hit. Returns 0 (counted) or the ms
# until a slot frees (refused, nothing counted).
SLIDING_WINDOW = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local wait = 0
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local freed = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(freed[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then
  return wait
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RedisWindows:
    """The Redis client shared by a process's sign-in limiters, and whether Redis is
    currently answering."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "pictor:ratelimit",
        retry_s: float = 5.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.retry_s = retry_s
        self.clock = clock
        self._script = client.register_script(SLIDING_WINDOW)
        self._monotonic = clock or time.monotonic
        self._down_until: float | None = None
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str,
        timeout_s: float,
        retry_s: float,
        clock: Callable[[], float] | None = None,
    ) -> RedisWindows:
        client = Redis.from_url(
            url,
            client_name="pictor-ratelimit",
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            # One try: a login must not wait through reconnect attempts; it counts locally.
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, prefix=prefix, retry_s=retry_s, clock=clock)

    def limiter(self, scope: str, limit: int, window_s: float = 60.0) -> RedisWindowLimiter:
        return RedisWindowLimiter(self, scope, limit, window_s)

    def key(self, scope: str, identity: str) -> str:
        """The Redis key of one identity (``ip:...``, ``email:...``) in one scope."""
        kind = identity.split(":", 1)[0] if ":" in identity else "key"
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        return f"{self.prefix}:{scope}:{kind}:{digest}"

    @property
    def down(self) -> bool:
        """Redis failed less than ``retry_s`` ago: count in-process without asking it."""
        return self._down_until is not None and self._monotonic() < self._down_until

    async def count(self, scope: str, identities: list[str], limit: int, window_ms: int) -> int:
        """Count one hit in Redis: 0 if counted, else the ms until a slot frees.
        Raises :class:`RedisError` or :class:`OSError` when Redis cannot answer."""
        keys = [self.key(scope, identity) for identity in identities]
        now = "" if self.clock is None else str(round(self.clock() * 1000))
        member = secrets.token_hex(8)
        wait = await self._script(keys=keys, args=[now, window_ms, limit, member])
        if self._down_until is not None:
            self._down_until = None
            log.info("Redis answers again: sign-in rate limits are shared across nodes again")
        return min(int(wait), window_ms)

    def failed(self, error: Exception) -> None:
        if self._down_until is None:
            log.warning(
                "Redis unreachable for the sign-in rate limits (%s: %s): counting in this"
                " process only, asking again in %.0f s",
                type(error).__name__,
                error,
                self.retry_s,
            )
        self._down_until = self._monotonic() + self.retry_s

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self.client.aclose()


class RedisWindowLimiter:
    """A :class:`~pictor.accounts.ratelimit.RateLimiter` counting in Redis, in-process
    while Redis is unreachable."""

    def __init__(self, windows: RedisWindows, scope: str, limit: int, window_s: float) -> None:
        self.windows = windows
        self.scope = scope
        self.limit = limit
        self.window_s = window_s
        self._window_ms = max(1, round(window_s * 1000))
        self.fallback = SlidingWindowLimiter(limit, window_s, clock=windows.clock or time.monotonic)

    async def hit(self, keys: Iterable[str], what: str = "attempts") -> None:
        identities = list(keys)
        if not self.windows.down:
            try:
                wait_ms = await self.windows.count(
                    self.scope, identities, self.limit, self._window_ms
                )
            except (RedisError, OSError) as exc:
                self.windows.failed(exc)
            else:
                if wait_ms > 0:
                    raise refusal(what, wait_ms / 1000)
                return
        await self.fallback.hit(identities, what)

    async def aclose(self) -> None:
        await self.windows.aclose()
