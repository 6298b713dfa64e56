"""Settings of payments (``PICTOR_BILLING_*``): Stripe keys, credit packs, redirects."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import NoDecode


def _env_list(value: Any) -> Any:
    """``a,b`` or JSON ``["a", "b"]`` (config.EnvList's rule; config imports this module)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


class CreditPack(BaseModel):
    """What one checkout buys: ``credits`` for ``amount`` in the smallest currency unit."""

    credits: int = Field(gt=0, le=10_000_000)
    amount: int = Field(gt=0, le=99_999_999, description="Price in cents (smallest unit).")
    name: str | None = Field(
        default=None, max_length=100, description='Shown on Stripe\'s page; default "N credits".'
    )

    @property
    def label(self) -> str:
        return self.name or f"{self.credits} pictor credits"


def _default_packs() -> dict[str, CreditPack]:
    return {
        "starter": CreditPack(credits=100, amount=900),
        "pro": CreditPack(credits=500, amount=3900),
        "studio": CreditPack(credits=3000, amount=19900),
    }


class BillingSettings(BaseModel):
    stripe_secret_key: SecretStr | None = Field(default=None, description="sk_live_/sk_test_")
    stripe_webhook_secret: SecretStr | None = Field(default=None, description="whsec_...")
    stripe_api_base: str | None = Field(default=None, description="Default: Stripe's API.")
    stripe_timeout_s: float = Field(default=30.0, gt=0, le=120)
    stripe_max_network_retries: int = Field(default=2, ge=0, le=5)
    webhook_tolerance_s: int = Field(
        default=300, ge=1, le=3600, description="Oldest Stripe-Signature timestamp accepted."
    )
    currency: str = Field(default="usd", description="ISO 4217 code of every pack's price.")
    packs: dict[str, CreditPack] = Field(
        default_factory=_default_packs,
        description='JSON, e.g. {"starter": {"credits": 100, "amount": 900}}.',
    )
    success_url: str | None = Field(
        default=None,
        description="Where Stripe sends the buyer after paying; default: "
        "{public_url}/billing/success?session_id={CHECKOUT_SESSION_ID}.",
    )
    cancel_url: str | None = Field(
        default=None,
        description="Where Stripe sends a buyer who gives up; default: "
        "{public_url}/billing/cancel.",
    )
    redirect_origins: Annotated[list[str], NoDecode, BeforeValidator(_env_list)] = Field(
        default_factory=list,
        description="Origins clients may name in success_url/cancel_url, besides those of "
        "public_url and the two settings above.",
    )

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        code = value.strip().lower()
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise ValueError("currency must be a 3-letter ISO 4217 code, e.g. usd")
        return code

    @field_validator("packs")
    @classmethod
    def _pack_names(cls, value: dict[str, CreditPack]) -> dict[str, CreditPack]:
        for name in value:
            if not (0 < len(name) <= 32) or not name.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"pack name {name!r}: use 1-32 letters, digits, - or _")
        return value

    @property
    def configured(self) -> bool:
        """Whether checkouts can be created (the webhook also needs the webhook secret)."""
        return self.stripe_secret_key is not None and bool(
            self.stripe_secret_key.get_secret_value()
        )
