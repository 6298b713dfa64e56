"""Settings of payments (``PICTOR_BILLING_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class BillingSettings(BaseModel):
    stripe_secret_key: SecretStr | None = Field(default=None, description="sk_live_/sk_test_")
    stripe_webhook_secret: SecretStr | None = Field(default=None, description="whsec_...")
    stripe_api_base: str | None = Field(default=None, description="Default: Stripe's API.")
