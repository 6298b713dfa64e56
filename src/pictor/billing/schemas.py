"""Wire format of /v1/billing."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CheckoutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pack: str = Field(max_length=32, description="A pack name from GET /v1/billing/packs.")
    success_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where Stripe sends the buyer after paying (an allowed origin); "
        "Stripe replaces {CHECKOUT_SESSION_ID} in it.",
    )
    cancel_url: str | None = Field(
        default=None, max_length=2048, description="Where a buyer who gives up goes back to."
    )


class CheckoutOut(BaseModel):
    id: str = Field(description="The Stripe Checkout Session id (cs_...).")
    url: str = Field(description="Stripe's payment page: send the buyer there.")
    pack: str
    credits: int
    amount: int = Field(description="Price in the smallest currency unit (cents).")
    currency: str
    status: str
    expires_at: datetime | None = None


class PackOut(BaseModel):
    name: str
    label: str
    credits: int
    amount: int
    currency: str


class PackList(BaseModel):
    packs: list[PackOut]
    available: bool = Field(description="Whether checkouts can be created on this server.")


class PurchaseOut(BaseModel):
    id: str = Field(description="The Stripe Checkout Session id (cs_...).")
    pack: str
    credits: int
    amount: int
    currency: str
    status: str = Field(description="open, processing, paid, failed or expired.")
    refunded_amount: int = Field(description="Refunded so far, smallest currency unit.")
    credits_refunded: int = Field(description="Credits taken back for refunds.")
    created_at: datetime
    paid_at: datetime | None = None


class PurchaseList(BaseModel):
    items: list[PurchaseOut]
