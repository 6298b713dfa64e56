"""Errors of payments; each has a stable code (statuses: ``api/errors.py``)."""

from __future__ import annotations

from pictor.errors import Conflict, InvalidInput, TransientError


class BillingUnavailable(TransientError):
    """Stripe is not set up on this server (HTTP 503): nothing a client can fix."""

    code = "billing_unavailable"


class PaymentProviderError(TransientError):
    """Stripe could not be reached or refused the request (HTTP 503); try again later."""

    code = "payment_provider_error"


class UnknownPack(InvalidInput):
    code = "unknown_pack"


class InvalidRedirectUrl(InvalidInput):
    code = "invalid_redirect_url"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
