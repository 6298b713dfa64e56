"""/v1/uploads, /v1/artifacts and the signed /files downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.gallery_deps import GalleryDep
from pictor.api.multipart import MalformedForm, StreamingForm
from pictor.api.presenters import artifact_out
from pictor.artifacts.models import Artifact
from pictor.artifacts.repository import ArtifactRepository
from pictor.artifacts.schemas import ArtifactOut
from pictor.artifacts.service import store_upload
from pictor.errors import NotFound
from pictor.runtime import Runtime

router = APIRouter(tags=["files"])


class ArtifactNotFound(NotFound):
    code = "artifact_not_found"


async def upload_from_form(runtime: Runtime, owner_id: str, form: StreamingForm) -> Artifact:
    artifact = await store_upload(
        runtime.store, runtime.image_limits, owner_id, form.file_chunks(), filename=form.filename
    )
    async with runtime.db.session() as session:
        ArtifactRepository(session).add(artifact)
    return artifact


@router.post(
    "/v1/uploads",
    status_code=201,
    response_model=ArtifactOut,
    summary="Upload an image (multipart field `file`)",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
            "required": True,
        }
    },
)
async def upload(request: Request, runtime: RuntimeDep, principal: PrincipalDep) -> ArtifactOut:
    """Streamed to storage as it arrives and validated as an image; use its `id` as `upload_id`."""
    form = StreamingForm(request)
    if not await form.start_file():
        raise MalformedForm("the form has no `file` field", field="file")
    artifact = await upload_from_form(runtime, principal.user_id, form)
    return artifact_out(runtime, str(request.base_url), artifact)


@router.get("/v1/artifacts/{artifact_id}", response_model=ArtifactOut, summary="Get an artifact")
async def get_artifact(
    artifact_id: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> ArtifactOut:
    """Its metadata and a fresh signed download URL."""
    async with runtime.db.read_session() as session:
        artifact = await ArtifactRepository(session).owned(artifact_id, principal.user_id)
    if artifact is None:
        raise ArtifactNotFound(f"no artifact {artifact_id}")
    return artifact_out(runtime, str(request.base_url), artifact)


@router.get(
    "/files/{artifact_id}",
    summary="Download a file by its signed URL",
    response_class=Response,
    responses={
        200: {"content": {"image/*": {}}},
        307: {"description": "to a presigned storage URL (S3 with presign on)"},
        403: {"description": "bad or expired signature"},
    },
)
async def download(
    artifact_id: str,
    request: Request,
    runtime: RuntimeDep,
    expires: Annotated[str, Query()] = "",
    sub: Annotated[str, Query()] = "",
    sig: Annotated[str, Query()] = "",
) -> Response:
    """No API key needed: the signature (bound to path, owner and expiry) is the permission."""
    owner_id = runtime.signer.verify(request.url.path, dict(request.query_params))
    async with runtime.db.read_session() as session:
        artifact = await ArtifactRepository(session).owned(artifact_id, owner_id)
    if artifact is None:
        raise ArtifactNotFound(f"no artifact {artifact_id}")
    headers = {
        "Cache-Control": "private, max-age=300",
        "Content-Disposition": f'inline; filename="{artifact.filename}"',
        "ETag": f'"{artifact.sha256}"',
    }
    return await blob_response(runtime, artifact.storage_key, artifact.content_type, headers)


@router.get(
    "/files/{artifact_id}/thumbnail",
    summary="Download a gallery thumbnail by its signed URL",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}},
        307: {"description": "to a presigned storage URL (S3 with presign on)"},
        403: {"description": "bad or expired signature"},
    },
)
async def download_thumbnail(
    artifact_id: str,
    request: Request,
    runtime: RuntimeDep,
    gallery: GalleryDep,
    expires: Annotated[str, Query()] = "",
    sub: Annotated[str, Query()] = "",
    sig: Annotated[str, Query()] = "",
) -> Response:
    """WebP, made on the first request and kept. 404 once the item is in the trash."""
    owner_id = runtime.signer.verify(request.url.path, dict(request.query_params))
    item = await gallery.get(owner_id, artifact_id)
    if item.deleted_at is not None:
        raise ArtifactNotFound(f"no artifact {artifact_id}")
    key = await gallery.thumbnail(item)
    return await blob_response(
        runtime, key, "image/webp", {"Cache-Control": "private, max-age=300"}
    )


async def blob_response(
    runtime: Runtime, key: str, content_type: str, headers: dict[str, str]
) -> Response:
    """The blob under ``key``: a redirect to a presigned URL when the store makes them
    (S3 with ``presign`` on), sent from its file when it has one, else streamed."""
    presigned = await runtime.store.presigned_url(
        key,
        ttl_s=runtime.settings.storage.presign_ttl_s,
        content_type=content_type,
        disposition=headers.get("Content-Disposition"),
    )
    if presigned is not None:
        # Never cached: the presigned URL dies long before a cached redirect would, and
        # each request must pass the ownership and trash checks above again.
        return RedirectResponse(presigned, 307, headers={"Cache-Control": "private, no-store"})
    headers = {**headers, "X-Content-Type-Options": "nosniff"}
    path = await runtime.store.local_path(key)
    if path is not None:
        return FileResponse(path, media_type=content_type, headers=headers)
    chunks = runtime.store.iter_bytes(key)
    # Read the first chunk before answering: a missing blob or a store that is down is
    # then a clean 404 or 503, not a 200 cut off after its headers.
    first = await anext(chunks, b"")
    return StreamingResponse(_prepend(first, chunks), media_type=content_type, headers=headers)


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for chunk in rest:
        yield chunk
