"""The BlobStore protocol: where pictor keeps bytes (inputs, outputs, gallery images).

Keys are relative, "/"-separated names (see ``keys.validate_key``) so the same key works
as a file path under a local folder and as an object key in an S3 bucket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from pictor.engines.availability import Availability
from pictor.errors import InvalidInput, NotFound

DEFAULT_CHUNK_SIZE = 65536


class InvalidBlobKey(InvalidInput):
    """A blob key is malformed, or would land outside the store."""

    code = "invalid_blob_key"


class BlobNotFound(NotFound):
    code = "blob_not_found"


class BlobTooLarge(InvalidInput):
    """A streamed upload went past its ``max_bytes``; nothing was stored."""

    code = "file_too_large"


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    #: Lowercase hex digest of the stored bytes.
    sha256: str
    content_type: str


@runtime_checkable
class BlobStore(Protocol):
    """Stores and serves blobs by key. Implementations: local folder, memory, S3."""

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        content_type: str,
        *,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        """Store the bytes ``chunks`` yields under ``key``, replacing any previous blob.

        Size and sha256 are computed while streaming; the whole body is never held in
        memory (except by the in-memory store, which is the memory). The write is atomic:
        readers see the old blob or the complete new one, never a part.

        Raises ``BlobTooLarge`` as soon as more than ``max_bytes`` arrive; then nothing of
        this upload is left behind (a previous blob under ``key`` stays as it was). Any
        error raised by ``chunks`` propagates, also leaving nothing behind.
        ``InvalidBlobKey`` for a bad key, ``StorageUnavailable`` for I/O failures.
        """
        ...

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> BlobInfo:
        """Store ``data`` under ``key`` atomically, replacing any previous blob."""
        ...

    async def get_bytes(self, key: str) -> bytes:
        """Return the whole blob. ``BlobNotFound`` when there is none under ``key``."""
        ...

    def iter_bytes(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Yield the blob in chunks of at most ``chunk_size`` bytes.

        An async generator: ``BlobNotFound`` is raised by the first ``__anext__``, so a
        caller that must know before committing to a response checks ``exists`` first.
        """
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob under ``key``; deleting a missing blob is not an error."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...

    async def local_path(self, key: str) -> Path | None:
        """A real file holding the blob, for serving with sendfile; None when not file-backed.

        File-backed stores raise ``BlobNotFound`` for a missing key; other stores return
        None without checking (it costs them a round trip).
        """
        ...

    async def presigned_url(
        self,
        key: str,
        *,
        ttl_s: int,
        content_type: str | None = None,
        disposition: str | None = None,
    ) -> str | None:
        """A URL the client can download from directly (S3 presigned GET), or None.

        None means: serve through the API with a ``UrlSigner`` signed URL instead.
        ``content_type`` and ``disposition`` become the download's Content-Type and
        Content-Disposition (signed into the URL), whatever the object was stored with.
        """
        ...

    def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Yield every stored key starting with ``prefix`` (a string prefix), sorted.

        An async generator, for audits and maintenance: ``storage.audit`` compares it
        with the artifact rows. Uploads in progress are not blobs yet and never listed.
        """
        ...

    async def check(self) -> Availability:
        """Readiness: can the store be written to right now?"""
        ...
