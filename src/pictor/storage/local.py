"""LocalBlobStore: blobs as files under one folder (the embedded mode's storage).

Every write goes to a temp file in the destination folder and is moved into place with
``os.replace``, so a crash or a failed upload never leaves a half-written blob under a
real key. All file I/O runs in worker threads, in batches of about 1 MiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from pictor.engines.availability import Availability
from pictor.errors import PictorError, StorageUnavailable
from pictor.storage.base import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    BlobTooLarge,
    InvalidBlobKey,
)
from pictor.storage.keys import validate_key

T = TypeVar("T")

#: Bytes gathered before one hop to a worker thread; small hops cost more than the I/O.
IO_BATCH_BYTES = 1 << 20
_DIR_MODE = 0o700
# "~" can never appear in a key, so a temp file never collides with a blob.
_TEMP_PREFIX = ".upload-"
_TEMP_SUFFIX = ".tmp~"
_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


class _PendingBlob:
    """A temp file next to its final path, filled from worker threads, then moved in place."""

    def __init__(self, final_path: Path, *, fsync: bool) -> None:
        # mkstemp creates the file with mode 0o600.
        fd, name = tempfile.mkstemp(dir=final_path.parent, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._temp_path = Path(name)
        self._final_path = final_path
        self._fsync = fsync
        self._digest = hashlib.sha256()
        # A cancelled put may discard while a write is still running in its thread.
        self._lock = threading.Lock()

    def write(self, chunks: list[bytes]) -> None:
        with self._lock:
            for chunk in chunks:
                self._file.write(chunk)
                self._digest.update(chunk)

    def commit(self) -> str:
        with self._lock:
            self._file.flush()
            if self._fsync:
                os.fsync(self._file.fileno())
            self._file.close()
            try:
                os.replace(self._temp_path, self._final_path)
            except IsADirectoryError:
                raise InvalidBlobKey(
                    f"blob key {self._final_path.name!r} names a folder of other blobs",
                    field="key",
                ) from None
            if self._fsync:
                _fsync_dir(self._final_path.parent)
            return self._digest.hexdigest()

    def discard(self) -> None:
        with self._lock:
            self._file.close()
            self._temp_path.unlink(missing_ok=True)


class LocalBlobStore:
    """Blobs as files under ``root``; directories 0o700, files 0o600.

    ``fsync=True`` makes every put durable across a power loss (slower); without it a put
    is still atomic, just possibly lost with the page cache.
    """

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        # Resolved once so the containment check compares like with like.
        self._root = Path(root).resolve()
        self._fsync = fsync

    @property
    def root(self) -> Path:
        return self._root

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        content_type: str,
        *,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        validate_key(key)
        pending = await _off_loop(self._open_pending, key)
        try:
            size = await _copy_in_batches(chunks, pending, max_bytes)
            sha256 = await _off_loop(pending.commit)
        except BaseException:
            # The discard runs to completion in its thread even if we are cancelled again;
            # a failure to clean up must not hide why the put failed.
            with contextlib.suppress(OSError):
                await asyncio.to_thread(pending.discard)
            raise
        return BlobInfo(key, size, sha256, content_type)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> BlobInfo:
        async def single() -> AsyncIterator[bytes]:
            yield data

        return await self.put_stream(key, single(), content_type)

    async def get_bytes(self, key: str) -> bytes:
        return await _off_loop(self._read_all, key)

    async def iter_bytes(
        self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        handle = await _off_loop(self._open_for_read, key)
        batch_size = max(1, IO_BATCH_BYTES // chunk_size) * chunk_size
        try:
            while block := await _off_loop(handle.read, batch_size):
                for start in range(0, len(block), chunk_size):
                    yield block[start : start + chunk_size]
        finally:
            # Closing a file opened for reading does not block.
            handle.close()

    async def delete(self, key: str) -> None:
        await _off_loop(self._unlink, key)

    async def exists(self, key: str) -> bool:
        return await _off_loop(lambda: self._resolve(key).is_file())

    async def local_path(self, key: str) -> Path | None:
        return await _off_loop(self._existing_file, key)

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
        for key in await _off_loop(self._list, prefix):
            yield key

    async def check(self) -> Availability:
        try:
            await _off_loop(self._probe_write)
        except PictorError as exc:
            return Availability.missing(f"local storage {self._root} is not writable: {exc}")
        return Availability.ok(f"local storage {self._root}")

    # -- in worker threads -------------------------------------------------------------

    def _resolve(self, key: str) -> Path:
        """The file path of ``key``, refusing anything (e.g. a symlink) leading outside root."""
        validate_key(key)
        try:
            path = (self._root / key).resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
            raise InvalidBlobKey(f"blob key {key!r} cannot be resolved: {exc}") from exc
        if path == self._root or not path.is_relative_to(self._root):
            raise InvalidBlobKey(f"blob key {key!r} resolves outside the store", field="key")
        return path

    def _open_pending(self, key: str) -> _PendingBlob:
        path = self._resolve(key)
        self._make_dirs(path.parent)
        return _PendingBlob(path, fsync=self._fsync)

    def _make_dirs(self, directory: Path) -> None:
        self._root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        current = self._root
        # One level at a time: Path.mkdir(parents=True) ignores the mode for parents.
        for part in directory.relative_to(self._root).parts:
            current = current / part
            try:
                current.mkdir(mode=_DIR_MODE)
            except FileExistsError:
                if not current.is_dir():
                    raise InvalidBlobKey(
                        f"a blob {part!r} exists where the key needs a folder", field="key"
                    ) from None

    def _read_all(self, key: str) -> bytes:
        path = self._resolve(key)
        try:
            return path.read_bytes()
        except _MISSING:
            raise BlobNotFound(f"no blob under {key!r}", details={"key": key}) from None

    def _open_for_read(self, key: str) -> BinaryIO:
        path = self._resolve(key)
        try:
            return path.open("rb")
        except _MISSING:
            raise BlobNotFound(f"no blob under {key!r}", details={"key": key}) from None

    def _existing_file(self, key: str) -> Path:
        path = self._resolve(key)
        if not path.is_file():
            raise BlobNotFound(f"no blob under {key!r}", details={"key": key})
        return path

    def _unlink(self, key: str) -> None:
        # Empty folders are left in place: pruning them would race with a concurrent put.
        with contextlib.suppress(*_MISSING):
            self._resolve(key).unlink()

    def _list(self, prefix: str) -> list[str]:
        start = self._root
        folder = prefix.rpartition("/")[0]
        if folder:
            try:
                start = self._resolve(folder)
            except InvalidBlobKey:
                return []  # no key can start with a prefix no key could have
        keys: list[str] = []
        # os.walk does not follow symlinked folders; symlinked files are skipped below.
        for directory, _, names in os.walk(start):
            base = Path(directory).relative_to(self._root).as_posix()
            for name in names:
                if name.startswith(_TEMP_PREFIX) and name.endswith(_TEMP_SUFFIX):
                    continue  # an upload in progress (or one a crash left behind)
                key = name if base == "." else f"{base}/{name}"
                if key.startswith(prefix) and not os.path.islink(os.path.join(directory, name)):
                    keys.append(key)
        return sorted(keys)

    def _probe_write(self) -> None:
        self._root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        probe = _PendingBlob(self._root / ".probe", fsync=False)
        try:
            probe.write([b"ok"])
        finally:
            probe.discard()


async def _copy_in_batches(
    chunks: AsyncIterator[bytes], pending: _PendingBlob, max_bytes: int | None
) -> int:
    """Feed ``chunks`` to ``pending`` about 1 MiB per thread hop; return the total size."""
    size = 0
    batch: list[bytes] = []
    batched = 0
    async for chunk in chunks:
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BlobTooLarge(
                f"upload is larger than {max_bytes} bytes", details={"max_bytes": max_bytes}
            )
        batch.append(chunk)
        batched += len(chunk)
        if batched >= IO_BATCH_BYTES:
            await _off_loop(pending.write, batch)
            batch, batched = [], 0
    if batch:
        await _off_loop(pending.write, batch)
    return size


async def _off_loop(func: Callable[..., T], *args: object) -> T:
    """Run blocking file work in a thread; OS failures become ``StorageUnavailable``."""
    try:
        return await asyncio.to_thread(func, *args)
    except PictorError:
        raise
    except OSError as exc:
        raise StorageUnavailable(f"local storage failed: {exc}") from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
