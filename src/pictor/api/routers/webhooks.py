"""/v1/webhooks: your signing secret (shown once, rotatable) and your deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import Connection

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.db.base import utcnow
from pictor.runtime import Runtime
from pictor.webhooks import repository
from pictor.webhooks.background import WebhookService
from pictor.webhooks.errors import DeliveryNotFound, DeliveryPending
from pictor.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryStatus,
    NewSecretOut,
    SecretStateOut,
)
from pictor.webhooks.secret_store import create_or_rotate, secret_info

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _wake_sender(runtime: Runtime) -> None:
    """Send what just became due at once rather than at the next poll."""
    service = runtime.services.get("webhooks")
    if isinstance(service, WebhookService):
        service.wake()


@router.post(
    "/secret", status_code=201, response_model=NewSecretOut, summary="Create or rotate your secret"
)
async def rotate_secret(runtime: RuntimeDep, principal: PrincipalDep) -> NewSecretOut:
    """A new `whsec_...` secret, shown in this answer only. Deliveries are signed with it
    from now on; after a rotation the replaced secret keeps signing too (a second
    signature in `webhook-signature`) until `previous_expires_at`, so receivers can be
    switched over without losing a delivery."""
    grace = runtime.settings.webhooks.rotation_grace_s
    created = await runtime.db.write(
        lambda conn: create_or_rotate(conn, principal.user_id, utcnow(), grace)
    )
    _wake_sender(runtime)
    return NewSecretOut(
        secret=created.secret,
        created_at=created.created_at,
        previous_expires_at=created.previous_expires_at,
    )


@router.get("/secret", response_model=SecretStateOut, summary="Whether you have a secret")
async def secret_state(runtime: RuntimeDep, principal: PrincipalDep) -> SecretStateOut:
    """Whether you have a signing secret and since when; never the secret itself."""
    info = await runtime.db.read(lambda conn: secret_info(conn, principal.user_id, utcnow()))
    if info is None:
        return SecretStateOut(exists=False, created_at=None, previous_expires_at=None)
    return SecretStateOut(
        exists=True, created_at=info.created_at, previous_expires_at=info.previous_expires_at
    )


@router.get("/deliveries", response_model=DeliveryPage, summary="Your deliveries, newest first")
async def list_deliveries(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    job_id: Annotated[str | None, Query(max_length=40)] = None,
    batch_id: Annotated[str | None, Query(max_length=40)] = None,
    status: DeliveryStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DeliveryPage:
    """Every message sent (or to be sent) to your webhooks, with each attempt."""
    rows = await runtime.db.read(
        lambda conn: repository.page(
            conn,
            principal.user_id,
            job_id=job_id,
            batch_id=batch_id,
            status=status,
            cursor=cursor,
            limit=limit + 1,
        )
    )
    page = rows[:limit]
    has_more = len(rows) > limit
    return DeliveryPage(
        data=[DeliveryOut.of(r) for r in page],
        has_more=has_more,
        next_cursor=page[-1].id if has_more else None,
    )


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, summary="One delivery")
async def get_delivery(
    runtime: RuntimeDep, principal: PrincipalDep, delivery_id: str
) -> DeliveryOut:
    row = await runtime.db.read(lambda conn: repository.get(conn, principal.user_id, delivery_id))
    if row is None:
        raise DeliveryNotFound(f"no webhook delivery {delivery_id}")
    return DeliveryOut.of(row)


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    summary="Send a delivery again",
)
async def retry_delivery(
    runtime: RuntimeDep, principal: PrincipalDep, delivery_id: str
) -> DeliveryOut:
    """Send a delivery that succeeded, failed or was disabled once more, now. A URL
    disabled by a 410 Gone is enabled again. If the attempt fails, the delivery is
    retried only while it is younger than `PICTOR_WEBHOOKS_RETRY_FOR_S`."""
    now = utcnow()

    def unit(conn: Connection) -> repository.DeliveryRow:
        row = repository.get(conn, principal.user_id, delivery_id)
        if row is None:
            raise DeliveryNotFound(f"no webhook delivery {delivery_id}")
        if row.status == "pending":
            raise DeliveryPending("this delivery is still being sent; wait for it to end")
        repository.enable_url(conn, principal.user_id, row.url)
        repository.schedule_again(conn, row.id, now)
        found = repository.get(conn, principal.user_id, delivery_id)
        assert found is not None
        return found

    row = await runtime.db.write(unit)
    _wake_sender(runtime)
    return DeliveryOut.of(row)
