"""Settings of credits: prices and the signup grant (``PICTOR_CREDITS_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

#: Credits per job of each kind; ``generate``/``edit`` are per image (``n``),
#: ``localize`` per target language. The one source of the built-in kinds' prices
#: (their specs' ``cost`` is read from here); kinds not listed (plug-ins) keep the
#: price their spec declares.
DEFAULT_PRICES: dict[str, int] = {
    "remove_background": 1,
    "erase": 1,
    "remove_watermark": 1,
    "logo": 2,
    "generate": 4,
    "edit": 4,
    "localize": 3,
}


class CreditsSettings(BaseModel):
    signup_grant: int = Field(default=20, ge=0, description="Credits a new user starts with.")
    prices: dict[str, int] = Field(
        default_factory=dict,
        description='Price overrides per kind, e.g. {"generate": 5}; defaults in docs.',
    )

    @field_validator("prices")
    @classmethod
    def _not_negative(cls, value: dict[str, int]) -> dict[str, int]:
        for kind, price in value.items():
            if price < 0:
                raise ValueError(f"the price of {kind} cannot be negative")
        return value

    def price_table(self) -> dict[str, int]:
        """The unit price of every priced kind: defaults, then overrides."""
        return {**DEFAULT_PRICES, **self.prices}
