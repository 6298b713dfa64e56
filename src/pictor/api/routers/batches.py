"""/v1/batches: many jobs at once, at a discount, after interactive jobs."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.inputs import check_webhook_url
from pictor.batches.background import Batches
from pictor.batches.errors import BatchNotFound
from pictor.batches.models import BatchStatus
from pictor.batches.queries import (
    BatchRecord,
    batch_out,
    items_of,
    owned_batch,
    page_of,
    view_of,
)
from pictor.batches.results import ManifestItem, manifest, stream_zip
from pictor.batches.schemas import (
    BatchCreate,
    BatchItem,
    BatchItemPage,
    BatchOut,
    BatchPage,
)
from pictor.batches.service import BatchService
from pictor.jobs.service import request_hash
from pictor.runtime import Runtime
from pictor.webhooks.service import accept_webhook_url

router = APIRouter(prefix="/v1/batches", tags=["batches"])


def batch_service(runtime: Runtime) -> BatchService:
    area = runtime.services.get("batches")
    if isinstance(area, Batches):
        return area.service
    return BatchService(
        runtime.db, runtime.bus, runtime.catalog, runtime.engines, runtime.settings, runtime.queue
    )


async def load_batch(runtime: Runtime, batch_id: str, owner_id: str) -> BatchOut:
    view = await runtime.db.read(lambda conn: view_of(conn, batch_id, owner_id))
    if view is None:
        raise BatchNotFound(f"no batch {batch_id}")
    return batch_out(view)


@router.post(
    "",
    status_code=201,
    response_model=BatchOut,
    summary="Create a batch",
    responses={
        200: {"description": "The batch an earlier request with this Idempotency-Key made."},
        402: {"description": "`insufficient_credits`: the balance does not cover the batch."},
        409: {"description": "`idempotency_key_reused` with another body."},
        422: {"description": "`invalid_batch_item` (naming the item), `too_many_items`."},
    },
)
async def create_batch(
    body: BatchCreate,
    response: Response,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> BatchOut:
    """Up to `PICTOR_BATCHES_MAX_ITEMS` jobs, checked together (nothing is created if one
    is bad), priced at the batch discount and reserved whole, run after interactive jobs."""
    service = batch_service(runtime)
    digest = request_hash(body.model_dump(mode="json")) if idempotency_key else None
    if idempotency_key:
        assert digest is not None
        existing = await service.replay(principal.user_id, idempotency_key, digest)
        if existing is not None:
            response.status_code = 200
            return await load_batch(runtime, existing.id, principal.user_id)
    if body.webhook is not None:
        await check_webhook_url(runtime, str(body.webhook))
        await accept_webhook_url(runtime.db, principal.user_id, str(body.webhook))
    # Checking 1,000 items takes a while: off the event loop, so running jobs and other
    # requests go on meanwhile.
    prepared = await asyncio.to_thread(
        partial(service.prepare, idempotency_key=idempotency_key, request_hash=digest),
        principal.user_id,
        body,
    )
    batch, created = await service.create(prepared)
    if not created:
        response.status_code = 200
    return await load_batch(runtime, batch.id, principal.user_id)


@router.get("", response_model=BatchPage, summary="List your batches, newest first")
async def list_batches(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    status: BatchStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> BatchPage:
    views = await runtime.db.read(
        lambda conn: page_of(conn, principal.user_id, cursor, limit + 1, status)
    )
    page = views[:limit]
    has_more = len(views) > limit
    return BatchPage(
        data=[batch_out(view) for view in page],
        has_more=has_more,
        next_cursor=page[-1].batch.id if has_more else None,
    )


@router.get("/{batch_id}", response_model=BatchOut, summary="Get a batch")
async def get_batch(batch_id: str, runtime: RuntimeDep, principal: PrincipalDep) -> BatchOut:
    """Counts by status, progress, credits charged so far and still reserved."""
    return await load_batch(runtime, batch_id, principal.user_id)


@router.get("/{batch_id}/items", response_model=BatchItemPage, summary="List a batch's items")
async def list_items(
    batch_id: str,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    cursor: Annotated[int | None, Query(ge=0, description="`next_cursor` of a page.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> BatchItemPage:
    """Items in their order, each with its job id (``GET /v1/jobs/{id}`` for more)."""
    start = cursor or 0

    def read(conn: Connection) -> BatchItemPage | None:
        batch = owned_batch(conn, batch_id, principal.user_id)
        if batch is None:
            return None
        items = [BatchItem(**item) for item in items_of(conn, batch, start, limit)]
        more = start + limit < batch.item_count
        return BatchItemPage(data=items, has_more=more, next_cursor=start + limit if more else None)

    page = await runtime.db.read(read)
    if page is None:
        raise BatchNotFound(f"no batch {batch_id}")
    return page


@router.post("/{batch_id}/cancel", response_model=BatchOut, summary="Cancel a batch")
async def cancel_batch(batch_id: str, runtime: RuntimeDep, principal: PrincipalDep) -> BatchOut:
    """Queued items are canceled and their credits released at once; running items
    finish (and are paid for if they succeed). 409 `batch_finished` if every item had
    already ended; canceling again is harmless."""
    await batch_service(runtime).cancel(batch_id, principal.user_id)
    return await load_batch(runtime, batch_id, principal.user_id)


@router.get(
    "/{batch_id}/results.zip",
    summary="Download a batch's results",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
async def batch_results(
    batch_id: str, runtime: RuntimeDep, principal: PrincipalDep
) -> StreamingResponse:
    """Every output so far as `<index>_<job id>_<n>.<ext>`, then `manifest.csv` and
    `manifest.json` (index, job id, kind, status, error, outputs, cost), streamed."""
    owner = principal.user_id

    def read(conn: Connection) -> tuple[BatchRecord, list[ManifestItem]] | None:
        batch = owned_batch(conn, batch_id, owner)
        if batch is None:
            return None
        return batch, manifest(conn, batch)

    found = await runtime.db.read(read)
    if found is None:
        raise BatchNotFound(f"no batch {batch_id}")
    batch, items = found
    return StreamingResponse(
        stream_zip(runtime.store, batch, items),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{batch_id}.zip"'},
    )
