"""/v1/localization: the language and market catalog that localize jobs are built from."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from pictor.api.deps import PrincipalDep
from pictor.localization.catalog import Language, Market, load_catalog

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
