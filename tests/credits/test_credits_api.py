"""GET /v1/credits and GET /v1/credits/ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from tests.credits.support import funded_user, write

from pictor.credits import ledger
from pictor.runtime import Runtime


async def test_credits_show_available_and_reserved(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 12)
    cause = {"cause_type": "test", "cause_id": "api-held"}
    await write(runtime, lambda conn: ledger.reserve(conn, user.id, 5, **cause))
    try:
        response = await client.get("/v1/credits", headers=user.headers)
    finally:
        await write(runtime, lambda conn: ledger.settle(conn, user.id, 5, 0, **cause))
    assert response.status_code == 200
    assert response.json() == {"object": "credits", "available": 7, "reserved": 5}


async def test_credits_need_a_key(client: httpx.AsyncClient) -> None:
    for path in ("/v1/credits", "/v1/credits/ledger"):
        response = await client.get(path)
        assert response.status_code == 401, path


async def test_the_ledger_pages_newest_first_and_shows_only_the_callers_entries(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 0)
    other = await funded_user(runtime, 0)
    for n in range(1, 6):
        await write(
            runtime,
            lambda conn, n=n: ledger.credit(
                conn, user.id, n, entry="purchase", cause_type="payment", cause_id=f"evt_{n}"
            ),
        )
    await write(
        runtime,
        lambda conn: ledger.credit(
            conn, other.id, 99, entry="purchase", cause_type="payment", cause_id="evt_other"
        ),
    )
    seen: list[dict[str, object]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get("/v1/credits/ledger", params=params, headers=user.headers)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["data"]
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]
    purchases = [e for e in seen if e["type"] == "purchase"]
    assert [e["cause_id"] for e in purchases] == [f"evt_{n}" for n in range(5, 0, -1)]
    assert [e["balance_after"] for e in purchases] == [15, 10, 6, 3, 1]
    assert "evt_other" not in {e["cause_id"] for e in seen}
    ids = [int(str(e["id"])) for e in seen]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert pages == (len(seen) + 1) // 2
    last = purchases[0]
    assert last["amount"] == 5 and last["reserved_delta"] == 0 and last["object"] == "credit_entry"


async def test_a_bad_ledger_cursor_is_a_422(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)
    for cursor in ("abc", "-1", "1" * 25):
        response = await client.get(
            "/v1/credits/ledger", params={"cursor": cursor}, headers=user.headers
        )
        assert response.status_code == 422, cursor
        assert response.json()["error"]["code"] in ("invalid_cursor", "invalid_request")
    response = await client.get(
        "/v1/credits/ledger", params={"cursor": "abc"}, headers=user.headers
    )
    assert response.json()["error"]["code"] == "invalid_cursor"
    response = await client.get("/v1/credits/ledger", params={"limit": 0}, headers=user.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


async def test_the_openapi_document_describes_the_credits_routes(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["paths"]["/v1/credits"]["get"]["summary"] == "Your credit balance"
    assert "402" in spec["paths"]["/v1/jobs"]["post"]["responses"]
    assert "cursor" in {p["name"] for p in spec["paths"]["/v1/credits/ledger"]["get"]["parameters"]}
