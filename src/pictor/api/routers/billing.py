"""/v1/billing: buying credit packs through Stripe Checkout, and Stripe's webhook."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, Table, select

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.errors import error_body
from pictor.billing.checkout import Order, create_checkout
from pictor.billing.events import handle_event
from pictor.billing.models import CheckoutSession, CheckoutStatus
from pictor.billing.redirects import resolve
from pictor.billing.schemas import (
    CheckoutCreate,
    CheckoutOut,
    PackList,
    PackOut,
    PurchaseList,
    PurchaseOut,
)
from pictor.billing.stripe_gateway import InvalidPayload, InvalidSignature, StripeGateway
from pictor.errors import NotFound

router = APIRouter(prefix="/v1/billing", tags=["billing"])
CHECKOUTS = cast(Table, CheckoutSession.__table__)
_c = CHECKOUTS.c
#: Stripe's events are a few kB; a body this large is not one of them.
MAX_WEBHOOK_BYTES = 1_000_000
SessionId = Annotated[str, Path(max_length=255)]


@router.get("/packs", response_model=PackList, summary="The credit packs on sale")
async def list_packs(runtime: RuntimeDep) -> PackList:
    billing = runtime.settings.billing
    packs = [
        PackOut(
            name=name,
            label=pack.label,
            credits=pack.credits,
            amount=pack.amount,
            currency=billing.currency,
        )
        for name, pack in billing.packs.items()
    ]
    return PackList(packs=packs, available=billing.configured)


@router.post(
    "/checkout",
    status_code=201,
    response_model=CheckoutOut,
    summary="Start buying a pack: a Stripe Checkout Session to send the buyer to",
    responses={200: {"description": "Replay of an earlier request with this Idempotency-Key"}},
)
async def checkout(
    body: CheckoutCreate,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> CheckoutOut:
    settings = runtime.settings
    redirects = resolve(
        settings.billing,
        settings.public_url,
        str(request.base_url),
        body.success_url,
        body.cancel_url,
    )
    order = Order(principal.user_id, body.pack, redirects, idempotency_key or None)
    out, created = await create_checkout(runtime.db, StripeGateway(settings.billing), order)
    if not created:
        response.status_code = 200
    return out


@router.get("/purchases", response_model=PurchaseList, summary="The caller's purchases")
async def list_purchases(runtime: RuntimeDep, principal: PrincipalDep) -> PurchaseList:
    def read(conn: Connection) -> list[Any]:
        statement = (
            select(CHECKOUTS)
            .where(_c.user_id == principal.user_id, _c.status != CheckoutStatus.PENDING)
            .order_by(_c.created_at.desc(), _c.id.desc())
            .limit(100)
        )
        return list(conn.execute(statement))

    return PurchaseList(items=[_purchase(row) for row in await runtime.db.read(read)])


@router.get(
    "/purchases/{session_id}",
    response_model=PurchaseOut,
    summary="One purchase by its Checkout Session id (the success page's session_id)",
)
async def get_purchase(
    session_id: SessionId, runtime: RuntimeDep, principal: PrincipalDep
) -> PurchaseOut:
    def read(conn: Connection) -> Any:
        statement = select(CHECKOUTS).where(
            _c.stripe_session_id == session_id, _c.user_id == principal.user_id
        )
        return conn.execute(statement).first()

    row = await runtime.db.read(read)
    if row is None:
        raise NotFound(f"no purchase {session_id}")
    return _purchase(row)


def _purchase(row: Any) -> PurchaseOut:
    return PurchaseOut(
        id=row.stripe_session_id,
        pack=row.pack,
        credits=row.credits,
        amount=row.amount,
        currency=row.currency,
        status=row.status,
        refunded_amount=row.refunded_amount,
        credits_refunded=row.credits_refunded,
        created_at=row.created_at,
        paid_at=row.paid_at,
    )


@router.post(
    "/webhook",
    summary="Stripe's webhook endpoint (signed with Stripe-Signature; no API key)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A Stripe event, exactly as Stripe sent it (the signature covers"
            " the raw bytes).",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "parameters": [
            {
                "name": "Stripe-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "t=<unix time>,v1=<HMAC-SHA256 of '<t>.<body>'>",
            }
        ],
    },
    responses={
        400: {"description": "invalid_signature or invalid_payload: nothing stored"},
        503: {"description": "billing_unavailable: no webhook secret set"},
    },
)
async def webhook(request: Request, runtime: RuntimeDep) -> JSONResponse:
    payload = bytearray()
    async for chunk in request.stream():
        payload += chunk
        if len(payload) > MAX_WEBHOOK_BYTES:
            return JSONResponse(
                error_body("request_too_large", "not a Stripe event: too large"), status_code=413
            )
    gateway = StripeGateway(runtime.settings.billing)
    try:
        event = gateway.verify_event(bytes(payload), request.headers.get("stripe-signature"))
    except (InvalidSignature, InvalidPayload) as exc:
        # Stripe retries on any non-2xx and shows the answer in its dashboard; 400 is
        # what it documents for a failed verification (the shared code would say 403).
        return JSONResponse({"error": exc.to_dict()}, status_code=400)
    outcome = await runtime.db.write(lambda conn: handle_event(conn, event))
    return JSONResponse({"received": True, "id": event["id"], "outcome": outcome})
