"""Standard Webhooks signatures (https://www.standardwebhooks.com).

``webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`` where
``key`` is the base64-decoded part of the user's ``whsec_...`` secret. Right after a
rotation a message carries one signature per live secret, separated by spaces;
receivers accept the message if any of them matches, and refuse timestamps too far
from their clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence

from pictor.errors import Forbidden

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
TOLERANCE_S = 300


class WebhookSignatureInvalid(Forbidden):
    code = "invalid_webhook_signature"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(
    secrets_: Sequence[str], message_id: str, body: bytes, now: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers, with one signature per secret given."""
    if not secrets_:
        raise ValueError("at least one secret signs a webhook")
    timestamp = int(time.time()) if now is None else now
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets_),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: int | None = None) -> None:
    """What a receiver does; for anyone checking pictor's webhooks in Python."""
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
