"""Registration and login: passwords, emails, the signup grant, uniform failures."""

from __future__ import annotations

from functools import partial

import httpx
from sqlalchemy import Connection, func, select
from tests.accounts.conftest import PASSWORD, CountingHasher, bearer, new_email, register
from tests.conftest import new_user

from pictor.accounts.models import User
from pictor.credits import ledger
from pictor.runtime import Runtime


async def balance(runtime: Runtime, user_id: str) -> ledger.Balance:
    return await runtime.db.read(partial(ledger.balance, user_id=user_id))


async def users_with_email(runtime: Runtime, email: str) -> int:
    def count(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).where(User.email == email)).scalar_one())

    return await runtime.db.read(count)


async def test_register_signs_in_at_once_and_grants_signup_credits(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    email = new_email()
    response = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["user"]["email"] == email and body["user"]["role"] == "user"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == runtime.settings.auth.access_ttl_s
    assert body["refresh_token"].startswith("prt_")

    me = await client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == body["user"]["id"]
    assert me.json()["auth"] == "access_token" and me.json()["key_id"] is None
    grant = runtime.settings.credits.signup_grant
    assert me.json()["credits"] == {"available": grant, "reserved": 0}


async def test_email_is_normalized_and_a_duplicate_is_409(client: httpx.AsyncClient) -> None:
    local = new_email()
    member = await register(client, f"  {local.upper()} ")
    me = await client.get("/v1/me", headers=member.headers)
    assert me.json()["email"] == local
    again = await client.post("/v1/auth/register", json={"email": local, "password": PASSWORD})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"
    login = await client.post("/v1/auth/login", json={"email": local.upper(), "password": PASSWORD})
    assert login.status_code == 200, login.text


async def test_passwords_outside_8_to_128_characters_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for password in ["short", "x" * 7, " " * 12, "y" * 129]:
        email = new_email()
        response = await client.post(
            "/v1/auth/register", json={"email": email, "password": password}
        )
        assert response.status_code == 422, (password, response.text)
        assert response.json()["error"]["field"] == "password"
        assert await users_with_email(runtime, email) == 0
    await register(client, password="x" * 8)
    await register(client, password="y" * 128)


async def test_an_invalid_email_is_refused(client: httpx.AsyncClient) -> None:
    for email in ["nobody", "@example.com", "a b@example.com", ""]:
        response = await client.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == 422, (email, response.text)
        assert response.json()["error"]["field"] == "email"


async def test_register_cannot_choose_role_credits_or_status(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for extra in [{"role": "admin"}, {"credits": 10**6}, {"is_active": True}, {"id": "usr_x"}]:
        email = new_email()
        response = await client.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD, **extra}
        )
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
        assert await users_with_email(runtime, email) == 0
    member = await register(client)
    me = (await client.get("/v1/me", headers=member.headers)).json()
    assert me["role"] == "user"
    admin_only = await client.get("/v1/admin/users", headers=member.headers)
    assert admin_only.status_code == 403


async def test_login_returns_a_working_token_pair(client: httpx.AsyncClient) -> None:
    member = await register(client)
    response = await client.post(
        "/v1/auth/login", json={"email": member.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    pair = response.json()
    assert set(pair) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
    }
    assert pair["token_type"] == "bearer"
    assert pair["refresh_token"] != member.refresh_token
    me = await client.get("/v1/me", headers=bearer(pair["access_token"]))
    assert me.json()["id"] == member.id


async def test_wrong_password_and_unknown_email_fail_alike_after_one_verification(
    client: httpx.AsyncClient, runtime: Runtime, hasher: CountingHasher
) -> None:
    member = await register(client)
    keyed = await new_user(runtime)  # made by the CLI path: no password at all
    async with runtime.db.read_session() as session:
        keyed_user = await session.get(User, keyed.id)
    assert keyed_user is not None and keyed_user.password_hash is None
    answers = []
    for email, password in [
        (member.email, "wrong password"),
        (new_email(), PASSWORD),
        (keyed_user.email, PASSWORD),
    ]:
        before = hasher.verifications
        response = await client.post("/v1/auth/login", json={"email": email, "password": password})
        # Unknown emails and users without a password verify a dummy hash: same work.
        assert hasher.verifications == before + 1
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        answers.append(response.json())
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["error"]["code"] == "invalid_credentials"


async def test_a_deactivated_user_cannot_log_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    member = await register(client)
    async with runtime.db.session() as session:
        user = await session.get(User, member.id)
        assert user is not None
        user.is_active = False
    right = await client.post("/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert right.status_code == 403
    assert right.json()["error"]["code"] == "account_disabled"
    wrong = await client.post(
        "/v1/auth/login", json={"email": member.email, "password": "nopenope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"


async def test_the_signup_grant_is_written_with_the_user_or_not_at_all(
    runtime: Runtime,
) -> None:
    from pictor.accounts.service import AccountService

    email = new_email()

    class Abort(Exception):
        pass

    try:
        async with runtime.db.session() as session:
            user = await AccountService(session, signup_grant=7).create_user(email)
            user_id = user.id
            raise Abort
    except Abort:
        pass

    assert await users_with_email(runtime, email) == 0
    assert await balance(runtime, user_id) == ledger.Balance(0, 0)
    async with runtime.db.session() as session:
        user = await AccountService(session, signup_grant=7).create_user(email)
    assert await balance(runtime, user.id) == ledger.Balance(7, 0)
