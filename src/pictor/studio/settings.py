"""Settings of the conversational studio (``PICTOR_STUDIO_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class StudioSettings(BaseModel):
    engine: Literal["rules", "llm"] = Field(
        default="rules", description="How messages are understood; llm needs a provider."
    )
    llm_provider: Literal["gemini", "openai"] | None = Field(
        default=None,
        description="Chat model provider of the llm engine (keys and base URLs of "
        "PICTOR_PROVIDERS_*); default: gemini if its key is set, else openai.",
    )
    llm_gemini_model: str = Field(default="gemini-2.5-flash", description="Gemini text model.")
    llm_openai_model: str = Field(
        default="gpt-4o-mini", description="OpenAI-compatible chat model."
    )
    llm_timeout_s: float = Field(
        default=15.0, gt=0, le=120, description="One llm call; past it the rules engine answers."
    )
