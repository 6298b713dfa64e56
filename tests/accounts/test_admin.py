"""/v1/admin: users, credit adjustments, every user's jobs, deactivation; 403 for users."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Connection, select
from tests.accounts.conftest import PASSWORD, Member, bearer, new_email, register
from tests.conftest import User, new_user

from pictor.api.deps import KeyCache
from pictor.credits import ledger
from pictor.credits.models import CreditEntry
from pictor.runtime import Runtime

ADMIN_CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/admin/users", None),
    ("GET", "/v1/admin/users/{uid}", None),
    ("POST", "/v1/admin/users/{uid}/credits", {"amount": 5, "note": "x"}),
    ("POST", "/v1/admin/users/{uid}/deactivate", None),
    ("POST", "/v1/admin/users/{uid}/activate", None),
    ("GET", "/v1/admin/jobs", None),
]


async def balance(runtime: Runtime, user_id: str) -> ledger.Balance:
    return await runtime.db.read(partial(ledger.balance, user_id=user_id))


async def test_users_get_403_on_every_admin_endpoint_and_nothing_changes(
    client: httpx.AsyncClient, runtime: Runtime, user: User, member: Member
) -> None:
    before = await balance(runtime, member.id)
    for headers in (user.headers, member.headers):
        for method, path, body in ADMIN_CALLS:
            response = await client.request(
                method, path.format(uid=member.id), json=body, headers=headers
            )
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error"]["code"] == "forbidden"
    assert await balance(runtime, member.id) == before
    assert (await client.get("/v1/me", headers=member.headers)).status_code == 200


async def test_admin_lists_users_by_page_and_by_email(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await new_user(runtime, "admin")
    tag = new_email().split("@")[0]
    emails = [f"{tag}.{i}@Example.com" for i in range(3)]
    for email in emails:
        await register(client, email)
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"email": tag.upper(), "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/admin/users", params=params, headers=admin.headers)).json()
        found.extend(page["data"])
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert [u["email"] for u in found] == [e.lower() for e in emails]
    assert all(u["role"] == "user" and u["has_password"] for u in found)
    # LIKE wildcards in the filter are plain characters.
    none = await client.get("/v1/admin/users", params={"email": "%"}, headers=admin.headers)
    assert none.json()["data"] == []


async def test_admin_adjusts_credits_with_an_entry_naming_the_admin(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    admin = await new_user(runtime, "admin")
    start = (await balance(runtime, member.id)).available
    url = f"/v1/admin/users/{member.id}/credits"
    added = await client.post(
        url, json={"amount": 50, "note": "support #12"}, headers=admin.headers
    )
    assert added.status_code == 201, added.text
    made = added.json()
    assert made["id"].startswith("adj_") and made["replayed"] is False
    assert (made["user_id"], made["admin_id"]) == (member.id, admin.id)
    assert (made["amount"], made["note"]) == (50, "support #12")
    assert made["available_after"] == start + 50
    taken = await client.post(url, json={"amount": -20}, headers=admin.headers)
    assert taken.json()["available_after"] == start + 30
    too_much = await client.post(url, json={"amount": -(10**6)}, headers=admin.headers)
    assert too_much.status_code == 402
    assert too_much.json()["error"]["code"] == "insufficient_credits"
    assert (await balance(runtime, member.id)).available == start + 30

    def entries(conn: Connection) -> list[tuple[str, int, str, str, str]]:
        rows = conn.execute(
            select(
                CreditEntry.entry,
                CreditEntry.amount,
                CreditEntry.cause_type,
                CreditEntry.cause_id,
                CreditEntry.note,
            )
            .where(CreditEntry.user_id == member.id, CreditEntry.entry == "adjustment")
            .order_by(CreditEntry.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    assert await runtime.db.read(entries) == [
        ("adjustment", 50, "admin", admin.id, "support #12"),
        ("adjustment", -20, "admin", admin.id, ""),
    ]
    me = (await client.get("/v1/me", headers=member.headers)).json()
    assert me["credits"]["available"] == start + 30


async def test_credit_adjustments_refuse_bad_input_and_unknown_users(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    admin = await new_user(runtime, "admin")
    url = f"/v1/admin/users/{member.id}/credits"
    for body in [{"amount": 0}, {"amount": "many"}, {"amount": 5, "user_id": "usr_x"}, {}]:
        response = await client.post(url, json=body, headers=admin.headers)
        assert response.status_code == 422, (body, response.text)
    unknown = await client.post(
        "/v1/admin/users/usr_nobody/credits", json={"amount": 5}, headers=admin.headers
    )
    assert unknown.status_code == 404


async def create_job(client: httpx.AsyncClient, headers: dict[str, str], fail: bool) -> str:
    body = {"kind": "test_flaky", "params": {"fail_times": 0, "permanent": fail}}
    response = await client.post("/v1/jobs", json=body, headers={**headers, "Prefer": "wait=30"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_admin_sees_every_users_jobs_with_filters_and_cursor(
    client: httpx.AsyncClient, runtime: Runtime, user: User, other_user: User
) -> None:
    admin = await new_user(runtime, "admin")
    mine = [await create_job(client, user.headers, fail) for fail in (False, True)]
    theirs = [await create_job(client, other_user.headers, False)]

    async def listed(**params: Any) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        params = {"limit": 1, **params}
        while True:
            page = (await client.get("/v1/admin/jobs", params=params, headers=admin.headers)).json()
            jobs.extend(page["data"])
            if not page["has_more"]:
                return jobs
            params["cursor"] = page["next_cursor"]

    both = await listed(kind="test_flaky", limit=2)
    ids = [j["id"] for j in both]
    assert set(mine + theirs) <= set(ids)
    assert ids == sorted(ids, reverse=True)  # newest first
    owners = {j["id"]: j["owner_id"] for j in both}
    assert {owners[i] for i in mine} == {user.id} and owners[theirs[0]] == other_user.id
    assert [j["id"] for j in await listed(owner_id=user.id)] == mine[::-1]
    failed = await listed(owner_id=user.id, status="failed")
    assert [j["id"] for j in failed] == [mine[1]]
    # A user's own list still shows only their jobs.
    own = (await client.get("/v1/jobs", headers=other_user.headers)).json()["data"]
    assert {j["id"] for j in own} == set(theirs)


async def test_deactivation_stops_keys_tokens_and_refresh_at_once(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app.state.key_cache = KeyCache(ttl_s=300)  # as in production: entries are forgotten
    admin = await new_user(runtime, "admin")
    member = await register(client)
    key = (await client.post("/v1/me/keys", json={}, headers=member.headers)).json()["key"]
    for headers in (member.headers, bearer(key)):
        assert (await client.get("/v1/me", headers=headers)).status_code == 200

    response = await client.post(f"/v1/admin/users/{member.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    for headers in (member.headers, bearer(key)):
        assert (await client.get("/v1/me", headers=headers)).status_code == 401
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": member.refresh_token})
    assert refresh.status_code == 401  # the deactivation revoked every sign-in
    login = await client.post("/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert login.status_code == 403

    back = await client.post(f"/v1/admin/users/{member.id}/activate", headers=admin.headers)
    assert back.json()["is_active"] is True
    assert (await client.get("/v1/me", headers=bearer(key))).status_code == 200
    # Sign-ins revoked by the deactivation stay revoked.
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": member.refresh_token})
    assert refresh.status_code == 401


async def test_an_admin_cannot_deactivate_themselves(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await new_user(runtime, "admin")
    response = await client.post(f"/v1/admin/users/{admin.id}/deactivate", headers=admin.headers)
    assert response.status_code == 409
    assert (await client.get("/v1/me", headers=admin.headers)).status_code == 200
    unknown = await client.post("/v1/admin/users/usr_nobody/deactivate", headers=admin.headers)
    assert unknown.status_code == 404


async def test_a_retried_adjustment_with_its_idempotency_key_adjusts_once(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    admin = await new_user(runtime, "admin")
    start = (await balance(runtime, member.id)).available
    url = f"/v1/admin/users/{member.id}/credits"
    headers = {**admin.headers, "Idempotency-Key": "ticket-77"}
    answers = await asyncio.gather(
        *(client.post(url, json={"amount": 30}, headers=headers) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert [a.json()["replayed"] for a in answers].count(False) == 1
    assert (await balance(runtime, member.id)).available == start + 30

    other = await client.post(url, json={"amount": 31}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # Keys belong to the admin who sent them: another admin's same key is a new one.
    second = await new_user(runtime, "admin")
    again = await client.post(
        url, json={"amount": 30}, headers={**second.headers, "Idempotency-Key": "ticket-77"}
    )
    assert again.status_code == 201
    assert (await balance(runtime, member.id)).available == start + 60
