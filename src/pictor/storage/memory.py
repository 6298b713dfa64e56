"""MemoryBlobStore: the real BlobStore behaviour kept in a dict, for tests and tiny setups."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pictor.engines.availability import Availability
from pictor.storage.base import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    BlobTooLarge,
)
from pictor.storage.keys import validate_key


@dataclass(frozen=True)
class _Blob:
    data: bytes
    info: BlobInfo


class MemoryBlobStore:
    """Keeps blobs in process memory. Same keys, limits and errors as the other stores."""

    def __init__(self) -> None:
        self._blobs: dict[str, _Blob] = {}

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        content_type: str,
        *,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        validate_key(key)
        buffer = bytearray()
        digest = hashlib.sha256()
        async for chunk in chunks:
            if max_bytes is not None and len(buffer) + len(chunk) > max_bytes:
                raise BlobTooLarge(
                    f"upload is larger than {max_bytes} bytes", details={"max_bytes": max_bytes}
                )
            buffer += chunk
            digest.update(chunk)
        # Stored only once complete, so a failed upload never replaces the previous blob.
        info = BlobInfo(key, len(buffer), digest.hexdigest(), content_type)
        self._blobs[key] = _Blob(bytes(buffer), info)
        return info

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> BlobInfo:
        validate_key(key)
        info = BlobInfo(key, len(data), hashlib.sha256(data).hexdigest(), content_type)
        self._blobs[key] = _Blob(bytes(data), info)
        return info

    async def get_bytes(self, key: str) -> bytes:
        return self._get(key).data

    async def iter_bytes(
        self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        data = self._get(key).data
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    async def delete(self, key: str) -> None:
        validate_key(key)
        self._blobs.pop(key, None)

    async def exists(self, key: str) -> bool:
        validate_key(key)
        return key in self._blobs

    async def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    async def presigned_url(
        self,
        key: str,
        *,
        ttl_s: int,
        content_type: str | None = None,
        disposition: str | None = None,
    ) -> str | None:
        validate_key(key)
        return None

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        for key in sorted(k for k in self._blobs if k.startswith(prefix)):
            yield key

    async def check(self) -> Availability:
        return Availability.ok(f"in-memory store, {len(self._blobs)} blobs")

    def info(self, key: str) -> BlobInfo:
        """The BlobInfo recorded at put time (tests use it to check content types)."""
        return self._get(key).info

    def _get(self, key: str) -> _Blob:
        validate_key(key)
        try:
            return self._blobs[key]
        except KeyError:
            raise BlobNotFound(f"no blob under {key!r}", details={"key": key}) from None
