"""Send one delivery (signed, SSRF-guarded) and decide what happens next.

Any answer but 2xx is retried with exponential backoff and jitter until
``retry_for_s`` after the delivery was made; 410 Gone disables the URL; an address
the SSRF guard refuses fails the delivery at once, without sending.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx

from pictor.errors import PictorError
from pictor.net.errors import UrlFetchFailed, UrlNotAllowed, UrlTimeout
from pictor.net.fetch import FetchLimits, post_json
from pictor.net.guard import NetworkPolicy
from pictor.webhooks.settings import WebhooksSettings
from pictor.webhooks.signing import headers_for

Result = Literal["succeeded", "retry", "gone", "refused"]


@dataclass(frozen=True)
class Outcome:
    result: Result
    status_code: int | None
    error: str | None
    duration_ms: int


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


@dataclass
class Sender:
    """POSTs signed bodies through the SSRF guard; ``transport`` for custom TLS trust."""

    policy: NetworkPolicy
    limits: FetchLimits
    transport: httpx.AsyncBaseTransport | None = None

    async def send(
        self, url: str, message_id: str, body: bytes, secrets: list[str], now: datetime
    ) -> Outcome:
        headers = headers_for(secrets, message_id, body, int(now.timestamp()))
        started = time.perf_counter()
        try:
            status = await post_json(url, body, headers, self.policy, self.limits, self.transport)
        except UrlNotAllowed as exc:
            return Outcome("refused", None, f"{exc.code}: {exc.message}", _ms(started))
        except PictorError as exc:
            retry = exc.transient or isinstance(exc, UrlFetchFailed | UrlTimeout)
            result: Result = "retry" if retry else "refused"
            return Outcome(result, None, f"{exc.code}: {exc.message}", _ms(started))
        if 200 <= status < 300:
            return Outcome("succeeded", status, None, _ms(started))
        if status == 410:
            return Outcome("gone", status, "HTTP 410 Gone", _ms(started))
        return Outcome("retry", status, f"HTTP {status}", _ms(started))


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def retry_delay_s(
    failed_attempts: int, settings: WebhooksSettings, jitter: Callable[[], float] = random.random
) -> float:
    """Delay before the next try: base x 2^(n-1), at most the maximum, then +-20 % jitter."""
    doubled = settings.backoff_base_s * 2.0 ** (failed_attempts - 1)
    return float(min(settings.backoff_max_s, doubled) * (0.8 + 0.4 * jitter()))


def after_attempt(
    outcome: Outcome,
    *,
    attempts: int,
    created_at: datetime,
    now: datetime,
    settings: WebhooksSettings,
) -> dict[str, Any]:
    """The delivery's new columns after its ``attempts``-th attempt ended in ``outcome``."""
    values: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "updated_at": now,
        "next_attempt_at": None,
    }
    if outcome.result == "succeeded":
        return {**values, "status": "succeeded"}
    if outcome.result == "gone":
        return {**values, "status": "disabled"}
    if outcome.result == "refused":
        return {**values, "status": "failed"}
    deadline = created_at + timedelta(seconds=settings.retry_for_s)
    if now >= deadline:
        error = f"{outcome.error}; gave up after {attempts} attempts"
        return {**values, "status": "failed", "last_error": error}
    next_at = min(now + timedelta(seconds=retry_delay_s(attempts, settings)), deadline)
    return {**values, "status": "pending", "next_attempt_at": next_at}
