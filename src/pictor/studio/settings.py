"""Settings of the conversational studio (``PICTOR_STUDIO_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class StudioSettings(BaseModel):
    engine: Literal["rules", "llm"] = Field(
        default="rules", description="How messages are understood; llm needs a provider."
    )
