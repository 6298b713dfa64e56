"""S3BlobStore: blobs as objects in an S3-compatible bucket (AWS, MinIO, R2, ...).

boto3 is synchronous: every call runs in the store's own thread pool, so a slow or dead
endpoint never ties up the event loop or the default executor. Small blobs go up in one
PUT; a stream that outgrows one part becomes a multipart upload (one part in flight while
the next is read) that is aborted on any failure, so no half object and no pending upload
remain. Both are atomic for readers: S3 shows the old object or the complete new one.

Failures of the service itself (refused connections, timeouts, 5xx, bad credentials)
become ``StorageUnavailable`` (503, transient for jobs); a missing object ``BlobNotFound``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pictor.engines.availability import Availability
from pictor.errors import StorageUnavailable
from pictor.storage.base import DEFAULT_CHUNK_SIZE, BlobInfo, BlobNotFound, BlobTooLarge
from pictor.storage.keys import validate_key
from pictor.storage.location import S3Location, parse_s3_url

if TYPE_CHECKING:
    from pictor.config import StorageSettings

T = TypeVar("T")

MiB = 1 << 20
#: Bytes read from a GET body per hop to a worker thread.
READ_BATCH_BYTES = MiB
_NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound"})


def s3_client(storage: StorageSettings, *, endpoint_url: str | None = None, **config: Any) -> Any:
    """A boto3 S3 client from the storage settings (SigV4, retries, timeouts, pool size).

    ``endpoint_url`` overrides the settings' (presigning for clients on another network);
    ``config`` adds botocore ``Config`` options (tests route virtual hosts via ``proxies``).
    """
    session = boto3.session.Session(
        aws_access_key_id=_secret(storage.access_key_id),
        aws_secret_access_key=_secret(storage.secret_access_key),
        region_name=storage.region,
    )
    return session.client(
        "s3",
        endpoint_url=endpoint_url or storage.endpoint_url,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": storage.addressing_style},
            retries={"max_attempts": storage.max_attempts, "mode": "standard"},
            connect_timeout=storage.connect_timeout_s,
            read_timeout=storage.read_timeout_s,
            max_pool_connections=storage.max_connections,
            **config,
        ),
    )


class S3BlobStore:
    """Blobs under ``location`` (bucket and key prefix), read and written through ``client``.

    ``presign_client`` (None: no presigned URLs) signs download URLs; it may point at
    another endpoint than ``client`` when clients reach the store by another name.
    """

    def __init__(
        self,
        client: Any,
        location: S3Location,
        *,
        presign_client: Any = None,
        part_size: int = 8 * MiB,
        max_threads: int = 16,
    ) -> None:
        if part_size < 5 * MiB:
            raise ValueError("S3 multipart parts must be at least 5 MiB")
        self._client = client
        self._presign_client = presign_client
        self.location = location
        self.part_size = part_size
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_threads, thread_name_prefix="pictor-s3"
        )

    @classmethod
    def from_settings(cls, storage: StorageSettings) -> S3BlobStore:
        if storage.url is None:
            raise ValueError("storage.url is not an s3:// URL")
        client = s3_client(storage)
        presign_client = None
        if storage.presign:
            presign_client = (
                s3_client(storage, endpoint_url=storage.presign_endpoint_url)
                if storage.presign_endpoint_url
                else client
            )
        return cls(
            client,
            parse_s3_url(storage.url),
            presign_client=presign_client,
            part_size=storage.part_size_bytes,
            max_threads=storage.max_connections,
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- writes --------------------------------------------------------------------------

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        content_type: str,
        *,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        validate_key(key)
        digest = hashlib.sha256()
        buffer = bytearray()
        size = 0
        upload: _MultipartUpload | None = None
        try:
            async for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise BlobTooLarge(
                        f"upload is larger than {max_bytes} bytes",
                        details={"max_bytes": max_bytes},
                    )
                digest.update(chunk)
                buffer += chunk
                while len(buffer) >= self.part_size:
                    if upload is None:
                        upload = await self._start_multipart(key, content_type)
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    await upload.send(part)
            if upload is None:
                await self._call(self._put_object, key, bytes(buffer), content_type)
            else:
                if buffer:
                    await upload.send(bytes(buffer))
                await upload.complete()
        except BaseException:
            if upload is not None:
                # Runs to the end even if we are cancelled again, like the local discard.
                with contextlib.suppress(Exception):
                    await asyncio.shield(upload.abort())
            raise
        return BlobInfo(key, size, digest.hexdigest(), content_type)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> BlobInfo:
        validate_key(key)
        if len(data) <= self.part_size:
            await self._call(self._put_object, key, data, content_type)
            return BlobInfo(key, len(data), hashlib.sha256(data).hexdigest(), content_type)

        async def parts() -> AsyncIterator[bytes]:
            for start in range(0, len(data), self.part_size):
                yield data[start : start + self.part_size]

        return await self.put_stream(key, parts(), content_type)

    async def delete(self, key: str) -> None:
        validate_key(key)
        # S3 answers 204 for a missing key too: deleting twice is not an error.
        await self._call(
            self._client.delete_object, Bucket=self.location.bucket, Key=self._object(key)
        )

    # -- reads ---------------------------------------------------------------------------

    async def get_bytes(self, key: str) -> bytes:
        validate_key(key)
        return await self._call(self._read_all, key, blob=key)

    async def iter_bytes(
        self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        validate_key(key)
        body = await self._call(self._open_body, key, blob=key)
        batch_size = max(1, READ_BATCH_BYTES // chunk_size) * chunk_size
        try:
            while block := await self._call(body.read, batch_size):
                for start in range(0, len(block), chunk_size):
                    yield block[start : start + chunk_size]
        finally:
            body.close()

    async def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            await self._call(
                self._client.head_object,
                Bucket=self.location.bucket,
                Key=self._object(key),
                blob=key,
            )
        except BlobNotFound:
            return False
        return True

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
        if self._presign_client is None:
            return None
        params = {"Bucket": self.location.bucket, "Key": self._object(key)}
        if content_type is not None:
            params["ResponseContentType"] = content_type
        if disposition is not None:
            params["ResponseContentDisposition"] = disposition
        # Signing is local, but resolving credentials may ask a metadata service: a thread.
        url: str = await self._call(
            self._presign_client.generate_presigned_url,
            "get_object",
            Params=params,
            ExpiresIn=ttl_s,
        )
        return url

    async def list_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every blob key starting with ``prefix``, in S3's (UTF-8 byte) order."""
        full_prefix = self.location.list_prefix + prefix
        token: str | None = None
        while True:
            page = await self._call(self._list_page, full_prefix, token)
            for item in page.get("Contents", []):
                yield self.location.blob_key(item["Key"])
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    async def check(self) -> Availability:
        # HEAD on the bucket: reachable, credentials accepted, bucket there; no write
        # probe, which would cost a billed PUT and DELETE on every /ready.
        try:
            await self._call(self._client.head_bucket, Bucket=self.location.bucket)
        except BlobNotFound:
            return Availability.missing(f"S3 bucket of {self.location} does not exist")
        except StorageUnavailable as exc:
            return Availability.missing(str(exc))
        return Availability.ok(f"S3 storage {self.location}")

    # -- in worker threads ---------------------------------------------------------------

    def _object(self, key: str) -> str:
        return self.location.object_key(key)

    def _put_object(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(
            Bucket=self.location.bucket, Key=self._object(key), Body=data, ContentType=content_type
        )

    def _open_body(self, key: str) -> Any:
        response = self._client.get_object(Bucket=self.location.bucket, Key=self._object(key))
        return response["Body"]

    def _read_all(self, key: str) -> bytes:
        body = self._open_body(key)
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data

    def _list_page(self, prefix: str, token: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Bucket": self.location.bucket, "Prefix": prefix}
        if token is not None:
            kwargs["ContinuationToken"] = token
        page: dict[str, Any] = self._client.list_objects_v2(**kwargs)
        return page

    async def _start_multipart(self, key: str, content_type: str) -> _MultipartUpload:
        response = await self._call(
            self._client.create_multipart_upload,
            Bucket=self.location.bucket,
            Key=self._object(key),
            ContentType=content_type,
        )
        return _MultipartUpload(self, self._object(key), response["UploadId"])

    async def _call(self, func: Callable[..., T], *args: Any, blob: str = "", **kwargs: Any) -> T:
        """Run a blocking boto3 call in the pool; its failures become pictor errors.

        ``blob`` names the key the call is about, for ``BlobNotFound``.
        """
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, lambda: func(*args, **kwargs))
        except ClientError as exc:
            raise _client_error(exc, self.location, blob) from exc
        except (BotoCoreError, OSError) as exc:
            # Refused connections, timeouts, dropped bodies, missing credentials.
            raise StorageUnavailable(f"S3 storage {self.location} is unavailable: {exc}") from exc


class _MultipartUpload:
    """One multipart upload: parts sent one at a time while the caller reads the next."""

    def __init__(self, store: S3BlobStore, object_key: str, upload_id: str) -> None:
        self._store = store
        self._key = object_key
        self._upload_id = upload_id
        self._parts: list[dict[str, Any]] = []
        self._in_flight: asyncio.Task[None] | None = None

    async def send(self, data: bytes) -> None:
        await self._wait_in_flight()
        number = len(self._parts) + 1
        self._parts.append({"PartNumber": number})
        self._in_flight = asyncio.ensure_future(self._upload_part(number, data))

    async def complete(self) -> None:
        await self._wait_in_flight()
        store = self._store
        await store._call(
            store._client.complete_multipart_upload,
            Bucket=store.location.bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    async def abort(self) -> None:
        # A part still being sent would land after the abort and keep storage billed.
        if self._in_flight is not None:
            with contextlib.suppress(BaseException):
                await self._in_flight
        store = self._store
        await store._call(
            store._client.abort_multipart_upload,
            Bucket=store.location.bucket,
            Key=self._key,
            UploadId=self._upload_id,
        )

    async def _wait_in_flight(self) -> None:
        if self._in_flight is not None:
            # Shielded: if our caller is cancelled, the part still finishes in its thread
            # and ``abort`` waits for it (a part landing after the abort would linger).
            await asyncio.shield(self._in_flight)
            self._in_flight = None

    async def _upload_part(self, number: int, data: bytes) -> None:
        store = self._store
        response = await store._call(
            store._client.upload_part,
            Bucket=store.location.bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
        )
        self._parts[number - 1]["ETag"] = response["ETag"]


def _client_error(
    exc: ClientError, location: S3Location, blob: str
) -> BlobNotFound | StorageUnavailable:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _NOT_FOUND:
        return BlobNotFound(f"no blob under {blob!r}", details={"key": blob})
    # Everything else is the service's or the deployment's fault, never the client's:
    # 5xx and throttling (retried by boto3 first), a missing bucket, refused credentials.
    return StorageUnavailable(f"S3 storage {location} is unavailable: it answered {status} {code}")


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value())
