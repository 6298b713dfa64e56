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
    understand_timeout_s: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description="How long understanding one message may take before it fails.",
    )
    sweep_interval_s: float = Field(
        default=30.0,
        gt=0,
        description="How often messages whose job ended unheard are looked for.",
    )
    unrouted_after_s: float = Field(
        default=300.0,
        gt=0,
        description=(
            "A message still without a job this long after it was posted (its server died "
            "while routing it) is linked to its job if one was made, else failed."
        ),
    )
    history: int = Field(
        default=5, ge=0, le=50, description="Earlier user texts given to the intent engine."
    )
    max_images: int = Field(default=16, ge=1, le=100, description="Images one message may attach.")
