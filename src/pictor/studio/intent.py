"""What a studio message asks for: the contract between intent engines and the studio.

An engine reads one message with its context and returns an :class:`Intent`: the job
kind to run (or ``answer`` when no job fits), the parameters it extracted, and the
refined prompt. The studio turns an intent into a job; engines never touch the
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

IntentKind = Literal[
    "generate",
    "edit",
    "remove_background",
    "remove_watermark",
    "erase",
    "localize",
    "logo",
    "answer",
]

INTENT_KINDS: tuple[IntentKind, ...] = (
    "generate",
    "edit",
    "remove_background",
    "remove_watermark",
    "erase",
    "localize",
    "logo",
    "answer",
)


@dataclass(frozen=True)
class MessageContext:
    """What the studio knows besides the text."""

    #: Images attached to this message (artifact ids), in order.
    image_ids: tuple[str, ...] = ()
    #: The session's most recent image (an upload or an output), if any.
    last_image_id: str | None = None
    #: Earlier user texts of the session, oldest first (a few at most).
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class Intent:
    kind: IntentKind
    #: Parameters for the job kind's params model (aspect_ratio, size, languages,
    #: style, colors, padding, ...), only those the message gave.
    params: dict[str, Any] = field(default_factory=dict)
    #: The prompt the job gets (generate/edit), cleaned of routing words.
    prompt: str = ""
    #: 0..1: how sure the engine is.
    confidence: float = 0.0
    #: The image the job works on (from the message, else the session's last image).
    image_ids: tuple[str, ...] = ()
    #: For ``answer``: the reply text.
    reply: str = ""
    #: Which engine decided ("rules", "llm:gemini", "llm:openai", "rules (llm fell back)").
    engine: str = "rules"


class IntentEngine(Protocol):
    name: str

    async def understand(self, text: str, context: MessageContext) -> Intent: ...
