"""Request dependencies: the runtime and the authenticated caller."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import SQLAlchemyError

from pictor.accounts.errors import InvalidApiKey, InvalidToken
from pictor.accounts.models import ApiKey, User
from pictor.accounts.ratelimit import RateLimiter, build_sign_in_limiters
from pictor.accounts.service import Principal, check_key, hash_key
from pictor.accounts.signin import SignIn
from pictor.accounts.tokens import looks_like_jwt
from pictor.db.base import utcnow
from pictor.errors import Forbidden, TransientError
from pictor.runtime import Runtime

log = logging.getLogger("pictor.auth")

bearer = HTTPBearer(
    auto_error=False,
    description="An API key (`Authorization: Bearer psk_...`) or an access token (a JWT "
    "from /v1/auth/login).",
)


class KeyCache:
    """Recently verified keys and access tokens, so a busy client does not cost a query
    per request.

    A revoked key (or a deactivated user) stops working within ``ttl_s`` on every node,
    at once on this one.
    """

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, key_hash: str) -> Principal | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key_hash: str, principal: Principal, max_ttl_s: float | None = None) -> None:
        ttl = self.ttl_s if max_ttl_s is None else min(self.ttl_s, max_ttl_s)
        if ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key_hash] = (time.monotonic() + ttl, principal)

    def forget_key(self, key_id: str) -> None:
        for digest, (_, principal) in list(self._entries.items()):
            if principal.key_id == key_id:
                del self._entries[digest]

    def forget_user(self, user_id: str) -> None:
        """Every cached key and token of a user (deactivated, or their role changed)."""
        for digest, (_, principal) in list(self._entries.items()):
            if principal.user_id == user_id:
                del self._entries[digest]


@dataclass
class Accounts:
    """Sign-in parts of one app, built on first use: the flows and their rate limits."""

    signin: SignIn
    login_limiter: RateLimiter
    register_limiter: RateLimiter

    async def aclose(self) -> None:
        await self.login_limiter.aclose()
        await self.register_limiter.aclose()


def build_accounts(runtime: Runtime) -> Accounts:
    settings = runtime.settings
    limiters = build_sign_in_limiters(settings)
    return Accounts(
        signin=SignIn(
            runtime.db,
            settings.auth,
            settings.security.secret_key.get_secret_value(),
            signup_grant=settings.credits.signup_grant,
        ),
        login_limiter=limiters.login,
        register_limiter=limiters.register,
    )


def app_accounts(app: FastAPI) -> Accounts:
    accounts: Accounts | None = getattr(app.state, "accounts", None)
    if accounts is None:
        accounts = app.state.accounts = build_accounts(app.state.runtime)
    return accounts


async def close_accounts(app: FastAPI) -> None:
    """Release what the sign-in parts hold (the rate limits' Redis connections)."""
    accounts: Accounts | None = getattr(app.state, "accounts", None)
    if accounts is not None:
        await accounts.aclose()


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_accounts(request: Request) -> Accounts:
    return app_accounts(request.app)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]


async def authenticate(
    runtime: Runtime, cache: KeyCache, secret: str | None, accounts: Accounts
) -> Principal:
    """The caller behind an API key or an access token (told apart by their shape)."""
    if not secret:
        raise InvalidApiKey("missing credentials: send Authorization: Bearer <key or token>")
    digest = hash_key(secret)
    principal = cache.get(digest)
    if principal is not None:
        return principal
    if looks_like_jwt(secret):
        return await _authenticate_token(runtime, cache, accounts, secret, digest)
    now = utcnow()
    check = await runtime.db.read(partial(check_key, secret=secret, now=now))
    principal = check.principal
    if check.stale_last_used:
        await _touch_key(runtime, principal.key_id or "", now)
    cache.put(digest, principal)
    return principal


async def _authenticate_token(
    runtime: Runtime, cache: KeyCache, accounts: Accounts, token: str, digest: str
) -> Principal:
    claims = accounts.signin.access.decode(token)
    query = select(User.is_active, User.role).where(User.id == claims.user_id)

    def load(conn: Connection) -> tuple[bool, str] | None:
        row = conn.execute(query).first()
        return None if row is None else (bool(row[0]), str(row[1]))

    # The user's current state, not the token's: a deactivated user's tokens stop
    # working, and a changed role applies at once (the ``role`` claim is informative).
    found = await runtime.db.read(load)
    if found is None:
        raise InvalidToken("the account of this token does not exist")
    if not found[0]:
        raise InvalidToken("this account is deactivated")
    principal = Principal(user_id=claims.user_id, role=found[1], key_id=None)
    cache.put(digest, principal, max_ttl_s=claims.expires_at - time.time())
    return principal


async def _touch_key(runtime: Runtime, key_id: str, now: datetime) -> None:
    statement = update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now)

    def touch(conn: Connection) -> None:
        conn.execute(statement)

    try:
        await runtime.db.write(touch)
    except (SQLAlchemyError, TransientError):
        # Bookkeeping only: a busy database must not refuse a valid key.
        log.warning("could not record the last use of API key %s", key_id)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    secret = credentials.credentials if credentials else None
    app = request.app
    return await authenticate(app.state.runtime, app.state.key_cache, secret, app_accounts(app))


async def request_principal(request: Request) -> Principal:
    """The caller, as :func:`current_principal` finds it, for the hottest routes: called
    from the handler, it skips FastAPI's dependency solving (~0.1 ms a request). Such a
    route declares ``openapi_extra=BEARER_SECURITY`` so its docs still say so."""
    scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer":
        secret = ""
    app = request.app
    return await authenticate(app.state.runtime, app.state.key_cache, secret, app_accounts(app))


#: The OpenAPI security requirement that ``Depends(bearer)`` would have added.
BEARER_SECURITY: dict[str, Any] = {"security": [{"HTTPBearer": []}]}


async def websocket_principal(websocket: WebSocket) -> Principal:
    """WebSocket clients send the key or token as a header, or as ``?api_key=`` /
    ``?access_token=`` from browsers."""
    app = websocket.app
    header = websocket.headers.get("authorization", "")
    secret = header[7:] if header.lower().startswith("bearer ") else None
    params = websocket.query_params
    secret = secret or params.get("api_key") or params.get("access_token")
    return await authenticate(app.state.runtime, app.state.key_cache, secret, app_accounts(app))


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def admin_principal(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise Forbidden("this endpoint is for admins only", code="forbidden")
    return principal


AdminDep = Annotated[Principal, Depends(admin_principal)]


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with ``--forwarded-allow-ips`` so
    this is the client's, not the proxy's)."""
    return request.client.host if request.client else "unknown"
