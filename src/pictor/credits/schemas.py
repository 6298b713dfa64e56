"""Response bodies of /v1/credits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class CreditsOut(BaseModel):
    object: Literal["credits"] = "credits"
    available: int = Field(description="Credits you can spend now.")
    reserved: int = Field(description="Credits held by jobs that have not ended yet.")


class LedgerEntryOut(BaseModel):
    object: Literal["credit_entry"] = "credit_entry"
    id: str = Field(description="Entries are numbered in the order they were written.")
    type: Literal["grant", "purchase", "reserve", "charge", "release", "refund", "adjustment"]
    amount: int = Field(description="The change of `available` (negative takes credits).")
    reserved_delta: int = Field(description="The change of `reserved`.")
    balance_after: int = Field(description="`available` after this entry.")
    cause_type: str = Field(examples=["job", "batch", "payment", "admin", "signup"])
    cause_id: str = Field(description="The job, batch or payment event that caused it.")
    note: str
    created_at: datetime


class LedgerPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[LedgerEntryOut]
    next_cursor: str | None
    has_more: bool
