"""Stripe through its official SDK; the only module that imports ``stripe``.

Checkout Sessions are created with the async HTTPX client of the SDK (one client per
call: a checkout is rare, and nothing is left open between requests); webhooks are
verified with the SDK's own signature check on the raw body.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from pictor.billing.errors import BillingUnavailable, IdempotencyKeyReused, PaymentProviderError
from pictor.billing.settings import BillingSettings, CreditPack
from pictor.errors import InvalidInput

log = logging.getLogger("pictor.billing")


class InvalidSignature(InvalidInput):
    """The Stripe-Signature header is missing, wrong or too old (HTTP 400)."""

    code = "invalid_signature"


class InvalidPayload(InvalidInput):
    code = "invalid_payload"


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    checkout_id: str
    user_id: str
    pack_name: str
    pack: CreditPack
    currency: str
    success_url: str
    cancel_url: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class CreatedSession:
    id: str
    url: str
    expires_at: datetime | None


def session_params(req: CheckoutRequest) -> dict[str, Any]:
    """What Stripe is asked for: one line of the pack, paid once, tied to the buyer."""
    metadata = {
        "user_id": req.user_id,
        "pack": req.pack_name,
        "credits": str(req.pack.credits),
        "checkout_id": req.checkout_id,
    }
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": req.currency,
                    "unit_amount": req.pack.amount,
                    "product_data": {"name": req.pack.label},
                },
            }
        ],
        "client_reference_id": req.user_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": req.success_url,
        "cancel_url": req.cancel_url,
    }


class _HTTPXClient(stripe.HTTPXClient):
    """The SDK's async HTTPX client, sending the encoded form as ``content=`` (the SDK
    passes the encoded string as ``data=``, which httpx deprecates)."""

    def _get_request_args_kwargs(  # type: ignore[no-untyped-def]
        self, method: str, url: str, headers: Any, post_data: Any
    ):
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, None)
        kwargs.pop("data", None)
        if post_data:
            kwargs["content"] = post_data
        return args, kwargs


class StripeGateway:
    def __init__(self, settings: BillingSettings) -> None:
        self.settings = settings

    async def create_checkout(self, req: CheckoutRequest) -> CreatedSession:
        key = self.settings.stripe_secret_key
        if key is None or not key.get_secret_value():
            raise BillingUnavailable(
                "payments are not set up: set PICTOR_BILLING_STRIPE_SECRET_KEY"
            )
        http = _HTTPXClient(timeout=self.settings.stripe_timeout_s)
        base = {"api": self.settings.stripe_api_base} if self.settings.stripe_api_base else None
        client = stripe.StripeClient(
            key.get_secret_value(),
            base_addresses=base,  # type: ignore[arg-type]
            http_client=http,
            max_network_retries=self.settings.stripe_max_network_retries,
        )
        try:
            session = await client.v1.checkout.sessions.create_async(
                session_params(req),  # type: ignore[arg-type]
                {"idempotency_key": req.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _translated(exc) from None
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        if not session.url:
            raise PaymentProviderError("Stripe returned a checkout session without a URL")
        expires = datetime.fromtimestamp(session.expires_at, UTC) if session.expires_at else None
        return CreatedSession(id=session.id, url=session.url, expires_at=expires)

    def verify_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event in ``payload`` if ``signature`` (the Stripe-Signature header) signs
        it with the webhook secret within the tolerance; else :class:`InvalidSignature`."""
        secret = self.settings.stripe_webhook_secret
        if secret is None or not secret.get_secret_value():
            raise BillingUnavailable(
                "Stripe webhooks are not set up: set PICTOR_BILLING_STRIPE_WEBHOOK_SECRET"
            )
        try:
            event = stripe.Webhook.construct_event(
                payload,
                signature,
                secret.get_secret_value(),
                tolerance=self.settings.webhook_tolerance_s,
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(f"Stripe-Signature: {exc.user_message or exc}") from None
        except (ValueError, TypeError, AttributeError):  # bad UTF-8 or JSON, not an object
            raise InvalidPayload("the body is not a Stripe event") from None
        body: dict[str, Any] = event.to_dict()
        event_id, event_type = body.get("id"), body.get("type")
        if not isinstance(event_id, str) or not isinstance(event_type, str):
            raise InvalidPayload("the body is not a Stripe event")
        if not 0 < len(event_id) <= 255 or not isinstance(body.get("data"), dict):
            raise InvalidPayload("the body is not a Stripe event")
        return body


def _translated(exc: stripe.StripeError) -> Exception:
    """A Stripe error as pictor's (the key never appears: Stripe's messages mask it)."""
    status = exc.http_status
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyKeyReused(
            "this Idempotency-Key was already used for another checkout", field="Idempotency-Key"
        )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        log.error("Stripe refused the API key (HTTP %s)", status)
        return BillingUnavailable("payments are not available: Stripe refused the API key")
    log.warning("Stripe request failed: %s (HTTP %s)", type(exc).__name__, status)
    message = exc.user_message if isinstance(exc, stripe.InvalidRequestError) else None
    return PaymentProviderError(
        f"Stripe could not create the checkout{': ' + message if message else ''}; try again later",
        details={"stripe_status": status} if status else None,
    )
