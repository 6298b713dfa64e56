"""Retries of provider calls: only 429, 5xx and timeouts; backoff with jitter; Retry-After."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pictor.engines.generate.base import Waiting
from pictor.engines.generate.errors import ProviderTimeout, ProviderUnavailable

T = TypeVar("T")

#: HTTP statuses worth asking again; every other error is final at once.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class RetryableCall(Exception):
    """Raised by a provider call that may succeed if made again."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, timed_out: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.timed_out = timed_out


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    #: The longest Retry-After we accept to wait; longer ones fail the call at once.
    max_retry_after_s: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter ("equal jitter"): uniform in [cap/2, cap]."""
        cap = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return random.uniform(cap / 2, cap)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    provider: str,
    deadline: float,
    waiting: Waiting | None = None,
) -> T:
    """Run ``call``; on RetryableCall wait (Retry-After or backoff) and run it again.

    Gives up with ProviderUnavailable (ProviderTimeout if the last failure was a
    timeout) after ``policy.max_attempts`` or when the wait would pass ``deadline``.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except RetryableCall as exc:
            failure = exc
        error = ProviderTimeout if failure.timed_out else ProviderUnavailable
        details = {"provider": provider, "attempts": attempt}
        if attempt >= policy.max_attempts:
            raise error(
                f"{provider}: {failure.message} (gave up after {attempt} attempts)",
                details=details,
            )
        delay = failure.retry_after if failure.retry_after is not None else policy.backoff(attempt)
        if delay > policy.max_retry_after_s or time.monotonic() + delay > deadline:
            raise error(
                f"{provider}: {failure.message} (asked to wait {delay:.0f} s, beyond the time"
                " allowed)",
                details=details,
            )
        if waiting is not None:
            await waiting(f"{provider} busy; retrying in {delay:.1f} s")
        await asyncio.sleep(delay)
