"""/v1/me: who the key belongs to."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from pictor.accounts.repository import AccountRepository
from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.errors import NotFound
from pictor.webhooks.signing import user_secret

router = APIRouter(prefix="/v1", tags=["accounts"])


class MeOut(BaseModel):
    id: str
    email: str
    role: str
    key_id: str


class WebhookSecretOut(BaseModel):
    secret: str
    scheme: str = "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature v1)"


@router.get("/webhooks/secret", response_model=WebhookSecretOut, summary="Your webhook secret")
async def webhook_secret(runtime: RuntimeDep, principal: PrincipalDep) -> WebhookSecretOut:
    """The secret that signs the webhooks of your jobs; verify every delivery with it."""
    server_secret = runtime.settings.security.secret_key.get_secret_value()
    return WebhookSecretOut(secret=user_secret(server_secret, principal.user_id))


@router.get("/me", response_model=MeOut, summary="The caller")
async def me(runtime: RuntimeDep, principal: PrincipalDep) -> MeOut:
    async with runtime.db.read_session() as session:
        user = await AccountRepository(session).user(principal.user_id)
    if user is None:
        raise NotFound("user not found")
    return MeOut(id=user.id, email=user.email, role=user.role, key_id=principal.key_id)
