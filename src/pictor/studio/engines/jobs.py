"""From an intent to a job: each kind's params, checked by the kind's own params model.

``assemble`` picks what a kind takes from the extracted parameters; ``to_job`` adds
the prompt and validates with the pipeline's params model, so the studio submits
exactly what a client of ``POST /v1/jobs`` could have sent.

Two kinds need a place the text rarely gives:
- ``erase`` erases regions or a mask. A named corner ("the text in the top right
  corner") becomes a box of 25 % x 15 % of the image there; with neither regions nor a
  mask image, ``to_job`` asks for a generative ``edit`` with the instruction instead
  ("remove the person on the left"), which finds the thing itself.
- ``remove_watermark`` takes a template (named: "the sample-star watermark") or a
  corner box (30 % x 12 %); bottom-right, where marks usually are, if none is named.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, ValidationError

from pictor.pipelines.erase import EraseParams
from pictor.pipelines.generate import EditParams, GenerateParams
from pictor.pipelines.localize_params import MAX_TARGETS, LocalizeParams
from pictor.pipelines.logo import MAX_VARIANTS, LogoParams
from pictor.pipelines.remove_background import RemoveBackgroundParams
from pictor.pipelines.remove_watermark import RemoveWatermarkParams
from pictor.studio.engines.extract import RATIOS, Extracted, colors_in
from pictor.studio.engines.text import Message
from pictor.studio.intent import Intent, IntentKind

PARAMS_MODELS: dict[str, type[BaseModel]] = {
    "generate": GenerateParams,
    "edit": EditParams,
    "remove_background": RemoveBackgroundParams,
    "erase": EraseParams,
    "remove_watermark": RemoveWatermarkParams,
    "localize": LocalizeParams,
    "logo": LogoParams,
}
ERASE_BOX = (25.0, 15.0)
WATERMARK_BOX = (30.0, 12.0)


class NoJob(ValueError):
    """The intent is an answer, or its params cannot make a valid job."""


def _corner_box(corner: str, width: float, height: float) -> dict[str, float]:
    x = 100.0 - width if corner.endswith("right") else 0.0
    y = 100.0 - height if corner.startswith("bottom") else 0.0
    return {"x": x, "y": y, "w": width, "h": height}


def _picture(found: Extracted, params: dict[str, Any]) -> None:
    if found.size is not None:
        params["size"] = found.size
    elif found.aspect_ratio is not None:
        params["aspect_ratio"] = found.aspect_ratio
    if found.resolution is not None:
        params["resolution"] = found.resolution
    if found.n is not None:
        params["n"] = max(1, min(4, found.n))


def assemble(
    kind: IntentKind, found: Extracted, *, business_name: str | None, text: str
) -> dict[str, Any]:
    """The params ``kind`` takes from what the message said (only what it said)."""
    params: dict[str, Any] = {}
    if kind in ("generate", "edit"):
        _picture(found, params)
    elif kind == "remove_background":
        if found.background_color:
            params["background_color"] = found.background_color
        if found.trim:
            params["trim"] = True
        if found.padding is not None:
            params["padding"] = found.padding
        if found.only_mask:
            params["only_mask"] = True
        if found.output_format == "webp":
            params["output_format"] = "webp"
    elif kind == "erase":
        if found.corner:
            params["regions"] = [_corner_box(found.corner, *ERASE_BOX)]
            params["units"] = "percent"
        if found.output_format:
            params["output_format"] = found.output_format
    elif kind == "remove_watermark":
        if found.template:
            params["template"] = found.template
        else:
            corner = found.corner or "bottom-right"
            width, height = WATERMARK_BOX
            params["region"] = {
                "corner": corner, "width": width, "height": height, "units": "percent"
            }  # fmt: skip
        if found.output_format:
            params["output_format"] = found.output_format
    elif kind == "localize":
        params["target_languages"] = list(found.targets.languages)[:MAX_TARGETS]
        params["target_markets"] = list(found.targets.markets)[:MAX_TARGETS]
        if found.resolution is not None:
            params["image_size"] = found.resolution
        if found.aspect_ratio in RATIOS:
            params["aspect_ratio"] = found.aspect_ratio
    elif kind == "logo":
        if business_name:
            params["business_name"] = business_name
        if found.logo_style:
            params["style"] = found.logo_style
        colors = found.colors
        if business_name and colors:
            # "Blue Peak Outdoors" names a business, not a colour.
            colors = [c for _, c in colors_in(Message.of(text.replace(business_name, " ")))]
        if colors:
            params["colors"] = colors[:5]
        if found.n is not None:
            params["variants"] = max(1, min(MAX_VARIANTS, found.n))
        params["description"] = text[:1000]
    return params


def to_job(intent: Intent) -> tuple[str, dict[str, Any]]:
    """(job kind, params) for ``intent``, validated by the kind's params model.

    Raises NoJob for an answer or params the model refuses."""
    kind: str = intent.kind
    if kind == "answer":
        raise NoJob("an answer is not a job")
    params = dict(intent.params)
    if kind == "erase" and not params.get("regions") and len(intent.image_ids) < 2:
        kind = "edit"
        params = {}
    if kind in ("generate", "edit"):
        params["prompt"] = intent.prompt or "Improve this image"
    model = PARAMS_MODELS[kind]
    try:
        checked = model.model_validate(params)
    except ValidationError as exc:
        raise NoJob(f"{kind}: {exc.errors()[0]['msg']}") from exc
    return kind, checked.model_dump(mode="json", exclude_unset=True)


def valid_params(intent: Intent) -> Intent:
    """``intent`` with the params its job refuses dropped one by one (a wrong value
    never fails a message that could run with the default)."""
    params = dict(intent.params)
    for _ in range(len(params) + 1):
        candidate = dataclasses.replace(intent, params=params)
        try:
            to_job(candidate)
            return candidate
        except NoJob as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError):
                raise
            bad = {str(e["loc"][0]) for e in cause.errors() if e["loc"]}
            if not bad & set(params):
                raise
            params = {k: v for k, v in params.items() if k not in bad}
    raise NoJob(f"{intent.kind}: params could not be made valid")
