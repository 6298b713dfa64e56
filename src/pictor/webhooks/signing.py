"""Standard Webhooks signatures (https://www.standardwebhooks.com).

``webhook-signature: v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>``;
receivers check it with the secret from ``GET /v1/webhooks/secret`` (``whsec_...``)
and refuse timestamps too far from their clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from pictor.errors import Forbidden

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
TOLERANCE_S = 300


class WebhookSignatureInvalid(Forbidden):
    code = "invalid_webhook_signature"


def user_secret(server_secret: str, user_id: str) -> str:
    """A per-user signing secret derived from the server's secret (stable, not stored)."""
    key = hmac.new(server_secret.encode(), f"webhook:{user_id}".encode(), hashlib.sha256)
    return SECRET_PREFIX + base64.b64encode(key.digest()).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(
    secret: str, message_id: str, body: bytes, now: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if now is None else now
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: int | None = None) -> None:
    """What a receiver does; used by tests and by anyone checking pictor's webhooks."""
    try:
        message_id = headers["webhook-id"]
        timestamp = int(headers["webhook-timestamp"])
        signatures = headers["webhook-signature"].split()
    except (KeyError, ValueError):
        raise WebhookSignatureInvalid("missing webhook headers") from None
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > TOLERANCE_S:
        raise WebhookSignatureInvalid("webhook timestamp outside the tolerance")
    expected = sign(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise WebhookSignatureInvalid("webhook signature does not match")
