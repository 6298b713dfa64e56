"""Errors of webhooks, each with a stable code."""

from __future__ import annotations

from pictor.errors import Conflict, InvalidInput, NotFound


class WebhookSecretMissing(InvalidInput):
    """A webhook was asked for before the user created a signing secret."""

    code = "webhook_secret_missing"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


class DeliveryPending(Conflict):
    """A retry was asked for a delivery that is still being retried."""

    code = "webhook_delivery_pending"
