"""/v1/admin: administration (admins only; anyone else gets 403 ``forbidden``)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from pictor.accounts import adjustments
from pictor.accounts.adjustments import Adjustment
from pictor.accounts.repository import AccountRepository
from pictor.accounts.schemas import CreditsAdjustIn, UserOut
from pictor.accounts.service import AccountService
from pictor.api.deps import AdminDep, RuntimeDep
from pictor.api.presenters import job_out
from pictor.api.routers.me import CreditsOut, credits_of, user_out
from pictor.artifacts.repository import ArtifactRepository
from pictor.errors import Conflict, InvalidInput, NotFound
from pictor.jobs.models import JobStatus
from pictor.jobs.records import JobRecord, OutputRecord
from pictor.jobs.repository import JobRepository
from pictor.jobs.schemas import JobOut

router = APIRouter(prefix="/v1/admin", tags=["admin"])

Cursor = Annotated[str | None, Query(max_length=64, description="`next_cursor` of the last page.")]
Limit = Annotated[int, Query(ge=1, le=100)]


class AdminUserOut(UserOut):
    credits: CreditsOut


class UserPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[UserOut]
    next_cursor: str | None
    has_more: bool


class AdjustmentOut(BaseModel):
    id: str
    user_id: str
    admin_id: str
    amount: int
    note: str
    available_after: int = Field(description="The user's available credits right after it.")
    created_at: datetime
    replayed: bool = Field(description="True if an earlier request with this key made it.")


class AdminJobOut(JobOut):
    owner_id: str


class AdminJobPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[AdminJobOut]
    next_cursor: str | None
    has_more: bool


@router.get("/users", response_model=UserPage, summary="List users, oldest first")
async def list_users(
    runtime: RuntimeDep,
    _admin: AdminDep,
    email: Annotated[
        str | None, Query(max_length=320, description="Part of the email (case-insensitive).")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> UserPage:
    async with runtime.db.read_session() as session:
        rows = await AccountRepository(session).users_page(
            email_contains=email.strip().lower() if email else None, cursor=cursor, limit=limit + 1
        )
    page = rows[:limit]
    has_more = len(rows) > limit
    return UserPage(
        data=[user_out(u) for u in page],
        has_more=has_more,
        next_cursor=page[-1].id if has_more else None,
    )


@router.get("/users/{user_id}", response_model=AdminUserOut, summary="One user, with credits")
async def get_user(user_id: str, runtime: RuntimeDep, _admin: AdminDep) -> AdminUserOut:
    async with runtime.db.read_session() as session:
        user = await AccountRepository(session).user(user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return AdminUserOut(**user_out(user).model_dump(), credits=await credits_of(runtime, user_id))


@router.post(
    "/users/{user_id}/credits",
    response_model=AdjustmentOut,
    status_code=201,
    summary="Adjust a user's credits",
    responses={
        200: {"description": "The adjustment an earlier request with this Idempotency-Key made."},
        402: {"description": "`insufficient_credits`: taking more than is available."},
        409: {"description": "`idempotency_key_reused` with another user, amount or note."},
    },
)
async def adjust_credits(
    user_id: str,
    body: CreditsAdjustIn,
    runtime: RuntimeDep,
    admin: AdminDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Response:
    """Adds `amount` (negative: takes it back) as an `adjustment` entry of the ledger
    caused by you. Send an `Idempotency-Key` so that a retried request adjusts once."""
    if body.amount == 0:
        raise InvalidInput("an adjustment of 0 credits changes nothing", field="amount")

    def adjust(conn: Connection) -> Adjustment:
        return adjustments.adjust_credits(
            conn,
            user_id=user_id,
            admin_id=admin.user_id,
            amount=body.amount,
            note=body.note,
            idempotency_key=idempotency_key,
        )

    try:
        made = await runtime.db.write(adjust)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent request with the same key committed first: answer with its result.
        made = await runtime.db.write(adjust)
    out = AdjustmentOut(**{f.name: getattr(made, f.name) for f in fields(made)})
    return Response(
        out.model_dump_json(),
        status_code=200 if made.replayed else 201,
        media_type="application/json",
    )


@router.post("/users/{user_id}/deactivate", response_model=UserOut, summary="Deactivate a user")
async def deactivate(
    user_id: str, request: Request, runtime: RuntimeDep, admin: AdminDep
) -> UserOut:
    """Their API keys and access tokens stop working (at once on this node, within
    `PICTOR_SECURITY_KEY_CACHE_TTL_S` on others) and their refresh tokens are revoked."""
    if user_id == admin.user_id:
        raise Conflict("admins cannot deactivate themselves", code="cannot_deactivate_self")
    async with runtime.db.session() as session:
        user = await AccountService(session).set_active(user_id, False)
    request.app.state.key_cache.forget_user(user_id)
    return user_out(user)


@router.post("/users/{user_id}/activate", response_model=UserOut, summary="Reactivate a user")
async def activate(user_id: str, runtime: RuntimeDep, _admin: AdminDep) -> UserOut:
    """Their API keys work again; they sign in again to get tokens."""
    async with runtime.db.session() as session:
        user = await AccountService(session).set_active(user_id, True)
    return user_out(user)


@router.get("/jobs", response_model=AdminJobPage, summary="Every user's jobs, newest first")
async def list_jobs(
    request: Request,
    runtime: RuntimeDep,
    _admin: AdminDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    status: JobStatus | None = None,
    owner_id: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> AdminJobPage:
    async with runtime.db.read_session() as session:
        rows = await JobRepository(session).page(
            owner_id, kind=kind, status=status, cursor=cursor, limit=limit + 1
        )
        page = rows[:limit]
        outputs = await ArtifactRepository(session).of_jobs([j.id for j in page])
    base = str(request.base_url)
    data = [
        AdminJobOut(
            **job_out(
                runtime,
                base,
                JobRecord.from_orm(j),
                [OutputRecord.from_orm(a) for a in outputs.get(j.id, [])],
            ).model_dump(),
            owner_id=j.owner_id,
        )
        for j in page
    ]
    has_more = len(rows) > limit
    return AdminJobPage(data=data, has_more=has_more, next_cursor=page[-1].id if has_more else None)
