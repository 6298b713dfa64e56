"""/v1/me: the caller, and the API keys they own."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import Connection

from pictor.accounts.models import ApiKey, User
from pictor.accounts.repository import AccountRepository
from pictor.accounts.schemas import KeyIn, KeyList, KeyOut, NewKeyOut, UserOut
from pictor.accounts.service import AccountService
from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.credits import ledger
from pictor.errors import NotFound
from pictor.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["accounts"])


class CreditsOut(BaseModel):
    available: int
    reserved: int


class MeOut(BaseModel):
    id: str
    email: str
    role: str
    created_at: datetime
    has_password: bool
    #: How this request was authenticated.
    auth: Literal["api_key", "access_token"]
    #: The API key of this request (None with an access token).
    key_id: str | None
    credits: CreditsOut


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=user.role,
        is_active=user.is_active,
        created_at=user.created_at,
        has_password=user.password_hash is not None,
    )


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


async def credits_of(runtime: Runtime, user_id: str) -> CreditsOut:
    def read(conn: Connection) -> ledger.Balance:
        return ledger.balance(conn, user_id)

    found = await runtime.db.read(read)
    return CreditsOut(available=found.available, reserved=found.reserved)


@router.get("/me", response_model=MeOut, summary="The caller")
async def me(runtime: RuntimeDep, principal: PrincipalDep) -> MeOut:
    """Your account, how this request was authenticated, and your credits."""
    async with runtime.db.read_session() as session:
        user = await AccountRepository(session).user(principal.user_id)
    if user is None:
        raise NotFound("user not found")
    return MeOut(
        **user_out(user).model_dump(exclude={"is_active"}),
        auth=principal.via,
        key_id=principal.key_id,
        credits=await credits_of(runtime, user.id),
    )


@router.post("/me/keys", response_model=NewKeyOut, status_code=201, summary="Create an API key")
async def create_key(body: KeyIn, runtime: RuntimeDep, principal: PrincipalDep) -> NewKeyOut:
    """The secret (`key`) is in this answer only: store it now."""
    async with runtime.db.session() as session:
        key, secret = await AccountService(session).create_key(principal.user_id, body.name)
    return NewKeyOut(**key_out(key).model_dump(), key=secret)


@router.get("/me/keys", response_model=KeyList, summary="Your API keys")
async def list_keys(runtime: RuntimeDep, principal: PrincipalDep) -> KeyList:
    """Prefixes only: secrets are never stored."""
    async with runtime.db.read_session() as session:
        keys = await AccountRepository(session).keys_of(principal.user_id)
    return KeyList(data=[key_out(k) for k in keys])


@router.delete("/me/keys/{key_id}", response_model=KeyOut, summary="Revoke an API key")
async def revoke_key(
    key_id: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> KeyOut:
    """Stops working at once on this node, within `PICTOR_SECURITY_KEY_CACHE_TTL_S`
    seconds on others. Revoking a revoked key changes nothing."""
    async with runtime.db.session() as session:
        key = await AccountService(session).revoke_key(key_id, user_id=principal.user_id)
    request.app.state.key_cache.forget_key(key.id)
    return key_out(key)
