"""The ``llm`` engine: a chat model (Gemini or OpenAI-compatible) answering JSON.

The model gets a system prompt and the message with its context, and must answer
JSON following ``SCHEMA`` (Gemini: ``response_mime_type`` + ``response_json_schema``;
OpenAI: ``response_format`` json_schema, strict). The answer is validated with
pydantic (``LlmAnswer``) and its params by the job kind's params model. An invalid
answer (not JSON, not the schema, params no job accepts) is asked for once more; a
second invalid answer, an HTTP error, a timeout or a missing key falls back to the
``rules`` engine, and ``Intent.engine`` says so (``rules (llm fell back)``).
The context rules (which image, an answer when an image or a name is missing) are
the rules engine's, applied to the model's reading.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pictor.localization.catalog import load_catalog
from pictor.studio.engines.extract import RATIOS, Extracted
from pictor.studio.engines.jobs import NoJob, assemble, valid_params
from pictor.studio.engines.locales import Targets
from pictor.studio.engines.prompts import REPLIES, need_image
from pictor.studio.engines.rules import NEEDS_IMAGE, RulesEngine
from pictor.studio.intent import INTENT_KINDS, Intent, IntentKind, MessageContext

log = logging.getLogger(__name__)
#: One call: (system prompt, user prompt, JSON schema) -> the answer's text.
ChatCall = Callable[[str, str, dict[str, object]], Awaitable[str]]
FELL_BACK = "rules (llm fell back)"
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


class LlmAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: IntentKind
    prompt: str = Field(max_length=4000)
    reply: str = Field(max_length=2000)
    confidence: float = Field(ge=0, le=1)
    aspect_ratio: str | None
    resolution: Literal["1K", "2K", "4K"] | None
    n: int | None = Field(ge=1, le=24)
    target_languages: list[str]
    target_markets: list[str]
    business_name: str | None = Field(max_length=60)
    style: str | None
    colors: list[str] = Field(max_length=5)
    background_color: str | None
    padding: int | None = Field(ge=0, le=1000)
    trim: bool | None
    corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] | None
    template: str | None


def _nullable(kind: str, **extra: object) -> dict[str, object]:
    return {"type": [kind, "null"], **extra}


def schema() -> dict[str, object]:
    catalog = load_catalog()
    strings = {"type": "array", "items": {"type": "string"}}
    properties: dict[str, object] = {
        "kind": {"type": "string", "enum": list(INTENT_KINDS)},
        "prompt": {"type": "string"},
        "reply": {"type": "string"},
        "confidence": {"type": "number"},
        "aspect_ratio": _nullable("string", enum=[*sorted(RATIOS), None]),
        "resolution": _nullable("string", enum=["1K", "2K", "4K", None]),
        "n": _nullable("integer"),
        "target_languages": {"type": "array", "items": {"enum": sorted(catalog.languages)}},
        "target_markets": {"type": "array", "items": {"enum": sorted(catalog.markets)}},
        "business_name": _nullable("string"),
        "style": _nullable("string"),
        "colors": strings,
        "background_color": _nullable("string"),
        "padding": _nullable("integer"),
        "trim": _nullable("boolean"),
        "corner": _nullable("string", enum=[*CORNERS, None]),
        "template": _nullable("string"),
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


SYSTEM = """You route messages of an image studio to one job.
kind: generate (a new image from a description), edit (change an existing image:
colours, objects, style, a new scene behind the subject), remove_background (cut-out,
transparent or plain-colour background), remove_watermark, erase (remove an object,
person or text from a photo), localize (translate/adapt an ad for languages or
markets), logo (design a logo; business_name is required), answer (greetings, thanks,
questions about prices or what you can do, or anything no job fits; put the reply in
"reply", in the user's language).
prompt: for generate/edit/erase, the request in English, cleaned of politeness and of
what the other fields say, with style cues kept.
Fill only what the message says; null or [] otherwise. Colours are #rrggbb.
target_languages / target_markets use the ids of the enums. Answer JSON only."""


def user_prompt(text: str, context: MessageContext) -> str:
    lines = [f"Message: {text}"]
    lines.append(f"Images attached to this message: {len(context.image_ids)}")
    lines.append(f"The session has an earlier image: {context.last_image_id is not None}")
    if context.history:
        lines.append("Earlier messages: " + json.dumps(list(context.history[-5:])))
    return "\n".join(lines)


def _found(answer: LlmAnswer) -> Extracted:
    return Extracted(
        aspect_ratio=answer.aspect_ratio,
        resolution=answer.resolution,
        n=answer.n,
        colors=list(answer.colors),
        background_color=answer.background_color,
        padding=answer.padding,
        trim=bool(answer.trim) or answer.padding is not None,
        corner=answer.corner,
        template=answer.template,
        logo_style=answer.style,
        targets=Targets(tuple(answer.target_languages), tuple(answer.target_markets)),
    )


def decide(answer: LlmAnswer, text: str, context: MessageContext, engine: str) -> Intent:
    """The model's reading with the studio's context rules; NoJob if its params are
    not a valid job."""
    kind = answer.kind
    image = bool(context.image_ids) or context.last_image_id is not None
    if kind == "answer":
        reply = answer.reply or REPLIES["fallback"]
        return Intent(kind="answer", reply=reply, confidence=answer.confidence, engine=engine)
    if kind == "generate" and context.image_ids:
        kind = "edit"
    if kind in NEEDS_IMAGE and not image:
        return Intent(kind="answer", reply=need_image(kind), engine=engine)
    if kind == "logo" and not answer.business_name:
        return Intent(kind="answer", reply=REPLIES["need_name"], engine=engine)
    found = _found(answer)
    params = assemble(kind, found, business_name=answer.business_name, text=text)
    images = context.image_ids or ((context.last_image_id,) if context.last_image_id else ())
    intent = Intent(
        kind=kind,
        params=params,
        prompt=answer.prompt.strip() or text,
        confidence=answer.confidence,
        image_ids=tuple(images)[: NEEDS_IMAGE.get(kind, 0)],
        engine=engine,
    )
    return valid_params(intent)


class LlmEngine:
    """Asks ``call`` (None: not configured) and falls back to ``fallback``."""

    def __init__(self, call: ChatCall | None, *, label: str, fallback: RulesEngine) -> None:
        self.name = label
        self._call = call
        self._fallback = fallback

    async def _fall_back(self, text: str, context: MessageContext, why: str) -> Intent:
        log.warning("studio intent: %s; the rules engine answers", why)
        intent = await self._fallback.understand(text, context)
        return dataclasses.replace(intent, engine=FELL_BACK)

    async def understand(self, text: str, context: MessageContext) -> Intent:
        if self._call is None:
            return await self._fall_back(text, context, "no llm provider is configured")
        prompt = user_prompt(text, context)
        why = ""
        for _ in range(2):  # an invalid answer is asked for once more
            try:
                raw = await self._call(SYSTEM, prompt, schema())
            except Exception as exc:  # HTTP errors, timeouts, refused keys: all fall back
                return await self._fall_back(text, context, f"{self.name} failed ({exc})")
            try:
                answer = LlmAnswer.model_validate_json(raw)
                return decide(answer, text, context, self.name)
            except (ValidationError, NoJob) as exc:
                why = f"{self.name} answered invalid JSON ({str(exc)[:200]})"
        return await self._fall_back(text, context, why)
