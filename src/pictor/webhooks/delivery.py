"""Deliver a job's outcome to its webhook URL, with retries and the SSRF guard."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from typing import Any

from pictor.errors import PictorError
from pictor.net.fetch import FetchLimits, post_json
from pictor.net.guard import NetworkPolicy
from pictor.webhooks.signing import headers_for

log = logging.getLogger("pictor.webhooks")


@dataclass(frozen=True)
class WebhookDelivery:
    url: str
    secret: str
    message_id: str
    payload: dict[str, Any]


@dataclass
class WebhookSender:
    """Best-effort, in-process delivery: up to ``attempts`` tries with backoff.

    A 2xx answer ends it; 4xx other than 408/429 is final (the receiver refused);
    5xx, timeouts and connection errors are retried. Each try is signed anew.
    """

    policy: NetworkPolicy
    limits: FetchLimits
    attempts: int = 5
    backoff_s: float = 1.0

    async def deliver(self, delivery: WebhookDelivery) -> bool:
        body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
        for attempt in range(1, self.attempts + 1):
            headers = headers_for(delivery.secret, delivery.message_id, body)
            try:
                status = await post_json(delivery.url, body, headers, self.policy, self.limits)
            except PictorError as exc:
                if not exc.transient:
                    log.warning("webhook %s refused: %s", delivery.message_id, exc.code)
                    return False
                status = 0
            if 200 <= status < 300:
                return True
            if 400 <= status < 500 and status not in (408, 429):
                log.warning("webhook %s answered %d; not retried", delivery.message_id, status)
                return False
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1) * random.uniform(0.5, 1))
        log.warning("webhook %s gave up after %d tries", delivery.message_id, self.attempts)
        return False
