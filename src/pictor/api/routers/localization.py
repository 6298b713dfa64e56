"""/v1/localization: the language and market catalog that localize jobs are built from."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.errors import validate_params
from pictor.engines.generate.base import ratio_for_size
from pictor.engines.localize.base import LocalizeRequest
from pictor.engines.localize.gemini import prompt_for
from pictor.errors import InvalidInput
from pictor.images.limits import HARD_MAX_SIDE
from pictor.localization.catalog import Language, Market, load_catalog
from pictor.pipelines.localize_params import AspectChoice, LocalizeParams

router = APIRouter(prefix="/v1/localization", tags=["localization"])


class LanguageList(BaseModel):
    version: str
    data: list[Language]


class MarketList(BaseModel):
    version: str
    data: list[Market]


@router.get("/languages", response_model=LanguageList, summary="Languages ads can be localized to")
async def list_languages(principal: PrincipalDep) -> LanguageList:
    """Every language in the catalog, sorted by id; `version` names the catalog release."""
    catalog = load_catalog()
    languages = [catalog.languages[key] for key in sorted(catalog.languages)]
    return LanguageList(version=catalog.version, data=languages)


@router.get("/markets", response_model=MarketList, summary="Markets ads can be adapted for")
async def list_markets(principal: PrincipalDep) -> MarketList:
    """Every market in the catalog, sorted by id, with its cultural notes and formats."""
    catalog = load_catalog()
    markets = [catalog.markets[key] for key in sorted(catalog.markets)]
    return MarketList(version=catalog.version, data=markets)


class PromptSectionOut(BaseModel):
    key: str
    title: str
    lines: list[str]


class PromptPreview(BaseModel):
    language: str
    market: str
    engine: str
    image_config: dict[str, str | None]
    sections: list[PromptSectionOut]
    text: str


@router.get(
    "/prompt-preview", response_model=PromptPreview, summary="The prompt the gemini engine sends"
)
async def prompt_preview(
    principal: PrincipalDep,
    runtime: RuntimeDep,
    target_language: str | None = None,
    target_market: str | None = None,
    source_language: str = "english",
    preserve_people: bool = False,
    image_size: Literal["1K", "2K", "4K"] = "1K",
    aspect_ratio: AspectChoice = "keep",
    brand_terms: Annotated[list[str] | None, Query(max_length=50)] = None,
    translations: Annotated[
        str | None, Query(description="JSON: source text → target text, for this language.")
    ] = None,
    source_width: Annotated[int | None, Query(ge=1, le=HARD_MAX_SIDE)] = None,
    source_height: Annotated[int | None, Query(ge=1, le=HARD_MAX_SIDE)] = None,
) -> PromptPreview:
    """Exactly what a `localize` job with engine `gemini` sends for one language/market
    (same pairing rules). With `aspect_ratio=keep`, give `source_width`/`source_height`
    (the ad's size) for the exact text and image config."""
    glossary = _glossary(translations)
    params = _preview_params(
        target_language=target_language,
        target_market=target_market,
        source_language=source_language,
        preserve_people=preserve_people,
        image_size=image_size,
        aspect_ratio=aspect_ratio,
        brand_terms=brand_terms or [],
    )
    [target] = params.targets()
    size = (source_width, source_height) if source_width and source_height else None
    request = LocalizeRequest(
        image=b"",
        source_language=load_catalog().language(params.source_language),
        target_language=target.language,
        market=target.market,
        preserve_people=params.preserve_people,
        image_size=params.image_size,
        aspect_ratio=params.aspect_ratio,
        translations=glossary,
        brand_terms=tuple(params.brand_terms),
    )
    built = prompt_for(request, size)
    ratio = aspect_ratio if aspect_ratio != "keep" else (ratio_for_size(*size) if size else None)
    localizer = runtime.engines.localizers.get("gemini")
    return PromptPreview(
        language=target.language.id,
        market=target.market.id,
        engine=str(getattr(localizer, "engine_id", "gemini")),
        image_config={"aspect_ratio": ratio, "image_size": image_size},
        sections=[
            PromptSectionOut(key=s.key, title=s.title, lines=list(s.lines)) for s in built.sections
        ],
        text=built.text,
    )


def _glossary(translations: str | None) -> dict[str, str]:
    if not translations:
        return {}
    try:
        value = json.loads(translations)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidInput(
            "translations is a JSON object of source text → target text", field="translations"
        )
    return value


def _preview_params(**values: Any) -> LocalizeParams:
    if not values["target_language"] and not values["target_market"]:
        raise InvalidInput("give target_language and/or target_market", field="target_language")
    data = {
        **{k: v for k, v in values.items() if k not in ("target_language", "target_market")},
        "target_languages": [values["target_language"]] if values["target_language"] else [],
        "target_markets": [values["target_market"]] if values["target_market"] else [],
    }
    return validate_params(LocalizeParams, data)
