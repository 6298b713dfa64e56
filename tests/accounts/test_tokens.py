"""Access tokens (JWT) and refresh tokens: rotation, reuse detection, logout, and every
kind of bad token refused with 401 ``invalid_token``."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import update
from tests.accounts.asgi import websocket_close_code
from tests.accounts.conftest import PASSWORD, Member, bearer

from pictor.accounts.models import RefreshToken, User
from pictor.accounts.tokens import AccessTokens, signing_key
from pictor.db.base import utcnow
from pictor.runtime import Runtime


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(member: Member, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": member.id,
        "role": "user",
        "iat": now,
        "exp": now + 600,
        "jti": "jti_test",
        "typ": "access",
        "iss": "pictor",
        "aud": "pictor-api",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def server_key(runtime: Runtime) -> bytes:
    return signing_key(runtime.settings.security.secret_key.get_secret_value())


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/v1/auth/refresh", json={"refresh_token": token})


async def assert_invalid_token(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/v1/me", headers=bearer(token))
    assert response.status_code == 401, (token, response.text)
    assert response.json()["error"]["code"] == "invalid_token"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_token_signed_by_the_server_works(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    # The crafting below is right: only what each test changes makes a token bad.
    token = jwt.encode(claims_for(member), server_key(runtime), algorithm="HS256")
    response = await client.get("/v1/me", headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_refresh_rotates_and_the_old_token_is_used_up(
    client: httpx.AsyncClient, member: Member
) -> None:
    first = await refresh(client, member.refresh_token)
    assert first.status_code == 200, first.text
    pair = first.json()
    assert pair["refresh_token"] != member.refresh_token
    assert (await client.get("/v1/me", headers=bearer(pair["access_token"]))).status_code == 200
    second = await refresh(client, pair["refresh_token"])
    assert second.status_code == 200, second.text


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_sign_in(
    client: httpx.AsyncClient, member: Member
) -> None:
    other_sign_in = (
        await client.post("/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    ).json()
    successor = (await refresh(client, member.refresh_token)).json()["refresh_token"]

    replay = await refresh(client, member.refresh_token)  # a thief replays the old one
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "invalid_token"
    assert "reused" in replay.json()["error"]["message"]
    # The legitimate holder's successor died with the family ...
    assert (await refresh(client, successor)).status_code == 401
    # ... but another sign-in of the same user is untouched.
    assert (await refresh(client, other_sign_in["refresh_token"])).status_code == 200


async def test_two_concurrent_refreshes_of_one_token_yield_one_pair_then_revoke(
    client: httpx.AsyncClient, member: Member
) -> None:
    answers = await asyncio.gather(*(refresh(client, member.refresh_token) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 401]
    [winner] = [a.json() for a in answers if a.status_code == 200]
    # The loser is a reuse: the family, the winner's new token included, is revoked.
    assert (await refresh(client, winner["refresh_token"])).status_code == 401


async def test_logout_revokes_the_refresh_token_and_its_successors(
    client: httpx.AsyncClient, member: Member
) -> None:
    successor = (await refresh(client, member.refresh_token)).json()
    response = await client.post(
        "/v1/auth/logout", json={"refresh_token": successor["refresh_token"]}
    )
    assert response.status_code == 204
    refused = await refresh(client, successor["refresh_token"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    # Unknown tokens are accepted silently: logout says nothing about what exists.
    unknown = await client.post("/v1/auth/logout", json={"refresh_token": "prt_nothing"})
    assert unknown.status_code == 204


async def test_an_expired_or_unknown_refresh_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    async with runtime.db.session() as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == member.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for token in [member.refresh_token, "prt_unknown", member.access_token]:
        response = await refresh(client, token)
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "invalid_token"


async def test_a_deactivated_users_tokens_stop_working(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    async with runtime.db.session() as session:
        await session.execute(update(User).where(User.id == member.id).values(is_active=False))
    await assert_invalid_token(client, member.access_token)
    response = await refresh(client, member.refresh_token)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_disabled"
    async with runtime.db.session() as session:
        await session.execute(update(User).where(User.id == member.id).values(is_active=True))
    # The refused refresh revoked the sign-in: reactivation does not bring it back.
    assert (await refresh(client, member.refresh_token)).status_code == 401
    assert (await client.get("/v1/me", headers=member.headers)).status_code == 200


async def test_an_expired_access_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    secret = runtime.settings.security.secret_key.get_secret_value()
    old = AccessTokens(secret, 900, clock=lambda: time.time() - 901)
    await assert_invalid_token(client, old.issue(member.id, "user"))
    now = int(time.time())
    await assert_invalid_token(
        client,
        jwt.encode(claims_for(member, iat=now - 60, exp=now - 1), server_key(runtime), "HS256"),
    )


async def test_a_tampered_access_token_is_refused(
    client: httpx.AsyncClient, member: Member
) -> None:
    header, payload, signature = member.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "usr_someone_else"
    await assert_invalid_token(client, f"{header}.{b64(claims)}.{signature}")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    await assert_invalid_token(client, f"{header}.{payload}.{flipped}")


async def test_alg_none_tokens_are_refused(client: httpx.AsyncClient, member: Member) -> None:
    claims = claims_for(member, role="admin")
    by_hand = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    await assert_invalid_token(client, by_hand)
    await assert_invalid_token(client, jwt.encode(claims, None, algorithm="none"))
    # "None" spelled otherwise, and a signature left on: still not HS256.
    await assert_invalid_token(client, f"{b64({'alg': 'NONE'})}.{b64(claims)}.c2ln")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_other_algorithms_and_keys_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    claims = claims_for(member)
    key = server_key(runtime)
    raw_secret = runtime.settings.security.secret_key.get_secret_value().encode()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for token in [
        jwt.encode(claims, key, algorithm="HS512"),
        jwt.encode(claims, key, algorithm="HS384"),
        jwt.encode(claims, private, algorithm="RS256"),
        jwt.encode(claims, raw_secret, algorithm="HS256"),  # not the derived key
        jwt.encode(claims, b"another server's key, long enough!", algorithm="HS256"),
    ]:
        await assert_invalid_token(client, token)


async def test_tokens_with_wrong_claims_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    key = server_key(runtime)
    for changes in [
        {"typ": "refresh"},
        {"typ": None},
        {"aud": "someone-else"},
        {"iss": "not-pictor"},
        {"jti": None},
        {"exp": None},
        {"sub": None},
        {"sub": "usr_does_not_exist"},
    ]:
        await assert_invalid_token(
            client, jwt.encode(claims_for(member, **changes), key, algorithm="HS256")
        )


async def test_a_role_claim_grants_nothing_the_account_does_not_have(
    client: httpx.AsyncClient, runtime: Runtime, member: Member
) -> None:
    # Even correctly signed, the role comes from the account, not from the token.
    token = jwt.encode(claims_for(member, role="admin"), server_key(runtime), algorithm="HS256")
    response = await client.get("/v1/admin/users", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert (await client.get("/v1/me", headers=bearer(token))).json()["role"] == "user"


async def test_garbage_bearer_values_are_refused(client: httpx.AsyncClient) -> None:
    for value in ["eyJ.eyJ.", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "a.b.c", "psk_short"]:
        response = await client.get("/v1/me", headers=bearer(value))
        assert response.status_code == 401, value
        assert response.json()["error"]["code"] in ("invalid_token", "invalid_api_key")
    missing = await client.get("/v1/me")
    assert missing.status_code == 401


async def test_websockets_take_access_tokens_too(
    app: FastAPI, client: httpx.AsyncClient, member: Member
) -> None:
    body = {"kind": "test_flaky", "params": {"fail_times": 0}}
    job = (
        await client.post("/v1/jobs", json=body, headers={**member.headers, "Prefer": "wait=30"})
    ).json()
    path = f"/v1/jobs/{job['id']}/ws"
    assert await websocket_close_code(app, path, member.headers) == 1000
    query = f"access_token={member.access_token}"
    assert await websocket_close_code(app, path, {}, query) == 1000
    forged = member.access_token[:-4] + ("AAAA" if member.access_token[-4:] != "AAAA" else "BBBB")
    assert await websocket_close_code(app, path, bearer(forged)) == 4401
