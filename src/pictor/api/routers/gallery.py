"""/v1/gallery: every output of the caller, with thumbnails, trash and restore."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.gallery_deps import GalleryDep
from pictor.api.presenters import file_url
from pictor.api.routers.uploads import blob_response
from pictor.artifacts.models import Artifact
from pictor.errors import InvalidInput
from pictor.gallery.repository import GalleryFilter
from pictor.gallery.schemas import GalleryItemOut, GalleryPage
from pictor.gallery.service import GalleryService, Page
from pictor.gallery.thumbnails import can_thumbnail
from pictor.runtime import Runtime

router = APIRouter(prefix="/v1/gallery", tags=["gallery"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item of yours (`gallery_item_not_found`)."}
}


def item_out(
    runtime: Runtime, base_url: str, gallery: GalleryService, item: Artifact
) -> GalleryItemOut:
    url: str | None = None
    expires: datetime | None = None
    thumbnail: str | None = None
    if item.deleted_at is None:
        url, expires = file_url(runtime, base_url, item)
        if item.thumbnail_key is not None or can_thumbnail(item.content_type):
            thumbnail = file_url(runtime, base_url, item, "/thumbnail")[0]
    return GalleryItemOut(
        id=item.id,
        job_id=item.job_id,
        kind=item.kind or "",
        prompt=item.prompt,
        engine=item.engine,
        filename=item.filename,
        content_type=item.content_type,
        size=item.size,
        width=item.width,
        height=item.height,
        meta=item.meta,
        created_at=item.created_at,
        deleted_at=item.deleted_at,
        purge_at=gallery.purge_at(item),
        url=url,
        url_expires_at=expires,
        thumbnail_url=thumbnail,
    )


def page_out(
    runtime: Runtime, request: Request, gallery: GalleryService, page: Page
) -> GalleryPage:
    base = str(request.base_url)
    return GalleryPage(
        data=[item_out(runtime, base, gallery, item) for item in page.items],
        has_more=page.next_cursor is not None,
        next_cursor=page.next_cursor,
    )


def _utc(value: datetime | None) -> datetime | None:
    """Query datetimes without a zone are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@router.get("", response_model=GalleryPage, summary="List your gallery, newest first")
async def list_gallery(
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    gallery: GalleryDep,
    kind: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,40}$")] = None,
    created_after: Annotated[
        datetime | None, Query(description="Made at or after (ISO 8601; UTC if no zone).")
    ] = None,
    created_before: Annotated[datetime | None, Query(description="Made before.")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Text in the prompt, any case.")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> GalleryPage:
    """Outputs not in the trash. Filters combine; `next_cursor` fetches the next page."""
    after, before = _utc(created_after), _utc(created_before)
    if after is not None and before is not None and after >= before:
        raise InvalidInput(
            "created_after must be before created_before",
            code="invalid_date_range",
            field="created_after",
        )
    filters = GalleryFilter(kind=kind, created_after=after, created_before=before, q=q)
    page = await gallery.page(principal.user_id, filters, cursor, limit)
    return page_out(runtime, request, gallery, page)


@router.get("/trash", response_model=GalleryPage, summary="List your trash")
async def list_trash(
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    gallery: GalleryDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> GalleryPage:
    """Most recently deleted first; each item says when it goes for good (`purge_at`)."""
    page = await gallery.trash(principal.user_id, cursor, limit)
    return page_out(runtime, request, gallery, page)


@router.get(
    "/{item_id}", response_model=GalleryItemOut, summary="Get a gallery item", responses=NOT_FOUND
)
async def get_item(
    item_id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    gallery: GalleryDep,
) -> GalleryItemOut:
    """Live or in the trash (then `deleted_at` is set and there are no URLs)."""
    item = await gallery.get(principal.user_id, item_id)
    return item_out(runtime, str(request.base_url), gallery, item)


@router.get(
    "/{item_id}/thumbnail",
    summary="The item's WebP thumbnail",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}},
        404: {"description": "`gallery_item_not_found`, or `thumbnail_unavailable`."},
    },
)
async def get_thumbnail(
    item_id: str, runtime: RuntimeDep, principal: PrincipalDep, gallery: GalleryDep
) -> Response:
    """Made on the first request and kept; works for items in the trash too (with the key)."""
    item = await gallery.get(principal.user_id, item_id)
    key = await gallery.thumbnail(item)
    return await blob_response(
        runtime, key, "image/webp", {"Cache-Control": "private, max-age=3600"}
    )


@router.delete(
    "/{item_id}", status_code=204, summary="Move an item to the trash", responses=NOT_FOUND
)
async def delete_item(item_id: str, principal: PrincipalDep, gallery: GalleryDep) -> Response:
    """Its URLs (file, thumbnail, `/v1/artifacts/{id}`) stop working at once. Deleting an
    item already in the trash changes nothing (its purge date stays)."""
    await gallery.move_to_trash(principal.user_id, item_id)
    return Response(status_code=204)


@router.post(
    "/{item_id}/restore",
    response_model=GalleryItemOut,
    summary="Take an item out of the trash",
    responses={**NOT_FOUND, 409: {"description": "`not_deleted`: it is not in the trash."}},
)
async def restore_item(
    item_id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    gallery: GalleryDep,
) -> GalleryItemOut:
    item = await gallery.restore(principal.user_id, item_id)
    return item_out(runtime, str(request.base_url), gallery, item)


@router.delete(
    "/{item_id}/permanent",
    status_code=204,
    summary="Delete an item for good",
    responses=NOT_FOUND,
)
async def delete_item_permanently(
    item_id: str, principal: PrincipalDep, gallery: GalleryDep
) -> Response:
    """From the trash or straight from the gallery: the row, the file and the thumbnail go."""
    await gallery.delete_permanently(principal.user_id, item_id)
    return Response(status_code=204)
