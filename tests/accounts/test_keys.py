"""API keys managed by their owner: created (secret shown once), listed, revoked."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from tests.accounts.conftest import Member, bearer, register
from tests.conftest import User

from pictor.api.deps import KeyCache


async def create_key(
    client: httpx.AsyncClient, headers: dict[str, str], name: str
) -> dict[str, Any]:
    response = await client.post("/v1/me/keys", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def test_a_new_key_is_shown_once_and_authenticates_its_owner(
    client: httpx.AsyncClient, member: Member
) -> None:
    made = await create_key(client, member.headers, "laptop")
    assert made["key"].startswith("psk_") and made["key"].startswith(made["prefix"])
    assert made["name"] == "laptop" and made["revoked_at"] is None
    me = await client.get("/v1/me", headers=bearer(made["key"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == member.id
    assert me.json()["auth"] == "api_key" and me.json()["key_id"] == made["id"]

    listed = (await client.get("/v1/me/keys", headers=member.headers)).json()["data"]
    [entry] = [k for k in listed if k["id"] == made["id"]]
    assert "key" not in entry and made["key"] not in str(listed)
    assert entry["prefix"] == made["prefix"] and entry["name"] == "laptop"
    assert entry["last_used_at"] is not None  # the /v1/me call above


async def test_revoking_a_key_stops_it_at_once_even_when_cached(
    app: FastAPI, client: httpx.AsyncClient, member: Member
) -> None:
    app.state.key_cache = KeyCache(ttl_s=300)
    made = await create_key(client, member.headers, "ci")
    assert (await client.get("/v1/me", headers=bearer(made["key"]))).status_code == 200
    response = await client.delete(f"/v1/me/keys/{made['id']}", headers=member.headers)
    assert response.status_code == 200, response.text
    assert response.json()["revoked_at"] is not None
    refused = await client.get("/v1/me", headers=bearer(made["key"]))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    listed = (await client.get("/v1/me/keys", headers=member.headers)).json()["data"]
    assert [k["revoked_at"] is not None for k in listed if k["id"] == made["id"]] == [True]
    # Revoking again changes nothing.
    again = await client.delete(f"/v1/me/keys/{made['id']}", headers=member.headers)
    assert again.status_code == 200
    assert again.json()["revoked_at"] == response.json()["revoked_at"]


async def test_another_users_key_is_404_and_keeps_working(
    client: httpx.AsyncClient, user: User, member: Member
) -> None:
    made = await create_key(client, user.headers, "mine")
    response = await client.delete(f"/v1/me/keys/{made['id']}", headers=member.headers)
    assert response.status_code == 404
    unknown = await client.delete("/v1/me/keys/key_nothing", headers=member.headers)
    assert unknown.status_code == 404
    assert response.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert (await client.get("/v1/me", headers=bearer(made["key"]))).status_code == 200
    theirs = (await client.get("/v1/me/keys", headers=member.headers)).json()["data"]
    assert made["id"] not in {k["id"] for k in theirs}


async def test_a_key_cannot_be_made_for_someone_else(
    client: httpx.AsyncClient, user: User, member: Member
) -> None:
    response = await client.post(
        "/v1/me/keys", json={"name": "x", "user_id": user.id}, headers=member.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    made = await create_key(client, member.headers, "x")
    me = (await client.get("/v1/me", headers=bearer(made["key"]))).json()
    assert me["id"] == member.id


async def test_keys_of_a_user_with_a_password_work_like_tokens(client: httpx.AsyncClient) -> None:
    member = await register(client)
    made = await create_key(client, member.headers, "script")
    from_key = await create_key(client, bearer(made["key"]), "made by a key")
    listed = (await client.get("/v1/me/keys", headers=bearer(from_key["key"]))).json()["data"]
    assert {k["name"] for k in listed} == {"script", "made by a key"}
