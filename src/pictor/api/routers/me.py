"""/v1/me: who the key belongs to."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from pictor.accounts.repository import AccountRepository
from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.errors import NotFound

router = APIRouter(prefix="/v1", tags=["accounts"])


class MeOut(BaseModel):
    id: str
    email: str
    role: str
    key_id: str


@router.get("/me", response_model=MeOut, summary="The caller")
async def me(runtime: RuntimeDep, principal: PrincipalDep) -> MeOut:
    async with runtime.db.read_session() as session:
        user = await AccountRepository(session).user(principal.user_id)
    if user is None:
        raise NotFound("user not found")
    return MeOut(id=user.id, email=user.email, role=user.role, key_id=principal.key_id)
