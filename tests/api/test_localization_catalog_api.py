"""GET /v1/localization/languages and /markets: the shipped catalog, sorted, behind a key."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import User

from pictor.localization.catalog import load_catalog


async def test_languages_are_served_sorted_by_id_with_the_catalog_version(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.get("/v1/localization/languages", headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    catalog = load_catalog()
    assert body["version"] == catalog.version
    ids = [language["id"] for language in body["data"]]
    assert ids == sorted(catalog.languages)
    served = {language["id"]: language for language in body["data"]}
    for key, language in catalog.languages.items():
        assert served[key] == language.model_dump(mode="json")


async def test_markets_are_served_sorted_by_id_with_the_catalog_version(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.get("/v1/localization/markets", headers=user.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    catalog = load_catalog()
    assert body["version"] == catalog.version
    ids = [market["id"] for market in body["data"]]
    assert ids == sorted(catalog.markets)
    served = {market["id"]: market for market in body["data"]}
    for key, market in catalog.markets.items():
        assert served[key] == market.model_dump(mode="json")


@pytest.mark.parametrize("path", ["/v1/localization/languages", "/v1/localization/markets"])
async def test_catalog_endpoints_refuse_a_caller_without_a_key(
    client: httpx.AsyncClient, path: str
) -> None:
    missing = await client.get(path)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_api_key"
    wrong = await client.get(path, headers={"Authorization": "Bearer not-a-key"})
    assert wrong.status_code == 401
