"""Request dependencies: the runtime and the authenticated caller."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from pictor.accounts.errors import InvalidApiKey
from pictor.accounts.service import AccountService, Principal, hash_key
from pictor.runtime import Runtime

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer psk_...`")


class KeyCache:
    """Recently verified keys, so a busy client does not cost a query per request.

    A revoked key stops working within ``ttl_s`` on every node (at once on this one).
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

    def put(self, key_hash: str, principal: Principal) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key_hash] = (time.monotonic() + self.ttl_s, principal)

    def forget_key(self, key_id: str) -> None:
        for digest, (_, principal) in list(self._entries.items()):
            if principal.key_id == key_id:
                del self._entries[digest]


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticate(runtime: Runtime, cache: KeyCache, secret: str | None) -> Principal:
    if not secret:
        raise InvalidApiKey("missing API key: send Authorization: Bearer <key>")
    digest = hash_key(secret)
    principal = cache.get(digest)
    if principal is not None:
        return principal
    async with runtime.db.read_session() as session:
        principal = await AccountService(session).authenticate(secret)
    cache.put(digest, principal)
    return principal


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    secret = credentials.credentials if credentials else None
    return await authenticate(request.app.state.runtime, request.app.state.key_cache, secret)


async def request_principal(request: Request) -> Principal:
    """The caller, as :func:`current_principal` finds it, for the hottest routes: called
    from the handler, it skips FastAPI's dependency solving (~0.1 ms a request). Such a
    route declares ``openapi_extra=BEARER_SECURITY`` so its docs still say so."""
    scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer":
        secret = ""
    return await authenticate(request.app.state.runtime, request.app.state.key_cache, secret)


#: The OpenAPI security requirement that ``Depends(bearer)`` would have added.
BEARER_SECURITY: dict[str, Any] = {"security": [{"HTTPBearer": []}]}


async def websocket_principal(websocket: WebSocket) -> Principal:
    """WebSocket clients send the key as a header, or as ``?api_key=`` from browsers."""
    runtime: Runtime = websocket.app.state.runtime
    header = websocket.headers.get("authorization", "")
    secret = header[7:] if header.lower().startswith("bearer ") else None
    secret = secret or websocket.query_params.get("api_key")
    return await authenticate(runtime, websocket.app.state.key_cache, secret)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
