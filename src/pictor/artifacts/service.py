"""Uploads: stream to storage, validate as an image, describe as an artifact."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from pictor.artifacts.models import Artifact
from pictor.errors import PictorError
from pictor.ids import new_id
from pictor.images.decode import decode_image
from pictor.images.limits import ImageLimits
from pictor.storage.base import BlobStore
from pictor.storage.keys import artifact_key

UPLOAD_CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "bmp": "image/bmp",
}


async def store_upload(
    store: BlobStore,
    limits: ImageLimits,
    owner_id: str,
    chunks: AsyncIterator[bytes],
    *,
    filename: str = "",
) -> Artifact:
    """Stream an upload into storage and validate it; the caller adds the row.

    An upload that is not a valid image is deleted before the error propagates, so
    a refused upload leaves nothing behind.
    """
    artifact_id = new_id("art")
    key = artifact_key(owner_id, artifact_id, "upload")
    info = await store.put_stream(
        key, chunks, "application/octet-stream", max_bytes=limits.max_bytes
    )
    try:
        path = await store.local_path(key)
        source = path if path is not None else await store.get_bytes(key)
        decoded = await asyncio.to_thread(decode_image, source, limits)
    except PictorError:
        await store.delete(key)
        raise
    decoded.image.close()
    return Artifact(
        id=artifact_id,
        owner_id=owner_id,
        role="upload",
        storage_key=key,
        filename=_clean_filename(filename) or f"{artifact_id}.{decoded.format}",
        content_type=UPLOAD_CONTENT_TYPES[decoded.format],
        size=info.size,
        width=decoded.width,
        height=decoded.height,
        sha256=info.sha256,
        meta={
            "format": decoded.format,
            "has_alpha": decoded.has_alpha,
            "frames_dropped": decoded.frames_dropped,
            "warnings": list(decoded.warnings),
        },
    )


def _clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')[:200]
