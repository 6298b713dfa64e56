"""S3BlobStore against real S3 wire servers on loopback: moto, plus tiny broken servers."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.storage.s3_server import ACCESS_KEY, REGION, SECRET_KEY, MotoServer

from pictor.config import Settings, StorageSettings
from pictor.errors import StorageUnavailable
from pictor.storage import BlobNotFound, BlobTooLarge, LocalBlobStore
from pictor.storage.from_settings import build_store
from pictor.storage.location import S3Location, parse_s3_url
from pictor.storage.s3 import S3BlobStore, s3_client

MiB = 1 << 20


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
def bucket(moto: MotoServer) -> str:
    return moto.new_bucket()


@pytest.fixture
def store(moto: MotoServer, bucket: str) -> Iterator[S3BlobStore]:
    """Default part size (8 MiB), under a prefix, presigning on."""
    s3 = S3BlobStore.from_settings(moto.settings(bucket, "pictor", presign=True))
    yield s3
    s3.close()


def uploads_in_progress(moto: MotoServer, bucket: str) -> list[Any]:
    uploads: list[Any] = moto.admin().list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return uploads


def object_keys(moto: MotoServer, bucket: str) -> list[str]:
    page = moto.admin().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in page.get("Contents", []))


# -- settings and selection ------------------------------------------------------------------


def test_s3_url_gives_bucket_and_prefix() -> None:
    assert parse_s3_url("s3://my-bucket") == S3Location("my-bucket", "")
    assert parse_s3_url("s3://my.bucket/a/b/") == S3Location("my.bucket", "a/b")
    assert S3Location("b", "a/b").object_key("usr/x.png") == "a/b/usr/x.png"
    for bad in ["s3://", "s3://UPPER", "s3://ab", "s3://b..c/x", "s3://bkt/../x", "s3://bkt?x=1"]:
        with pytest.raises(ValueError, match="S3"):
            parse_s3_url(bad)


def test_storage_settings_refuse_bad_urls_and_half_keys() -> None:
    for bad in ["http://example.com/bucket", "s3://Bad_Bucket", "gs://bucket"]:
        with pytest.raises(ValueError, match=r"storage URL|S3 bucket"):
            StorageSettings(url=bad)
    with pytest.raises(ValueError, match="both"):
        StorageSettings.model_validate({"url": "s3://bucket", "access_key_id": "only-one"})


def test_settings_pick_the_store_from_the_url(tmp_path: Any, moto: MotoServer) -> None:
    local = build_store(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "blobs"
    storage = moto.settings("some-bucket", "p").model_dump()
    s3 = build_store(Settings(data_dir=tmp_path, storage=storage))
    assert isinstance(s3, S3BlobStore) and str(s3.location) == "s3://some-bucket/p"
    with pytest.raises(ValueError, match="not a folder"):
        _ = Settings(data_dir=tmp_path, storage=storage).blob_root


def test_environment_configures_s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("PICTOR_STORAGE_URL", "s3://media/pictor")
    monkeypatch.setenv("PICTOR_STORAGE_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("PICTOR_STORAGE_ADDRESSING_STYLE", "path")
    monkeypatch.setenv("PICTOR_STORAGE_ACCESS_KEY_ID", "AKIA-example")
    monkeypatch.setenv("PICTOR_STORAGE_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.setenv("PICTOR_STORAGE_PRESIGN", "true")
    storage = Settings(data_dir=tmp_path).storage
    assert storage.endpoint_url == "http://minio:9000" and storage.addressing_style == "path"
    assert storage.presign and storage.secret_access_key is not None
    assert "example-secret" not in repr(storage)


# -- objects in the bucket -------------------------------------------------------------------


async def test_blobs_are_objects_under_the_prefix(
    moto: MotoServer, bucket: str, store: S3BlobStore
) -> None:
    moto.admin().put_object(Bucket=bucket, Key="elsewhere/not-ours", Body=b"x")
    info = await store.put_bytes("usr_a/art_1.png", b"png bytes", "image/png")
    assert info.sha256 == hashlib.sha256(b"png bytes").hexdigest()
    head = moto.admin().head_object(Bucket=bucket, Key="pictor/usr_a/art_1.png")
    assert head["ContentType"] == "image/png" and head["ContentLength"] == 9
    assert [k async for k in store.list_keys()] == ["usr_a/art_1.png"]
    await store.delete("usr_a/art_1.png")
    assert object_keys(moto, bucket) == ["elsewhere/not-ours"]


async def test_large_stream_goes_up_in_parts_and_arrives_whole(
    moto: MotoServer, bucket: str, store: S3BlobStore
) -> None:
    data = os.urandom(20 * MiB + 3)
    info = await store.put_stream("big/file.bin", chunks_of(data, 64 * 1024), "x/y")
    assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    head = moto.admin().head_object(Bucket=bucket, Key="pictor/big/file.bin")
    # A multipart object's ETag ends with its part count: 8 + 8 + 4 MiB.
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == len(data)
    assert await store.get_bytes("big/file.bin") == data
    streamed = hashlib.sha256()
    async for piece in store.iter_bytes("big/file.bin", chunk_size=MiB):
        streamed.update(piece)
    assert streamed.hexdigest() == info.sha256
    assert uploads_in_progress(moto, bucket) == []


async def test_large_put_bytes_uses_parts_too(
    moto: MotoServer, bucket: str, store: S3BlobStore
) -> None:
    data = os.urandom(17 * MiB)
    await store.put_bytes("big/bytes.bin", data, "x/y")
    head = moto.admin().head_object(Bucket=bucket, Key="pictor/big/bytes.bin")
    assert head["ETag"].endswith('-3"')
    assert await store.get_bytes("big/bytes.bin") == data


async def test_multipart_over_max_bytes_is_aborted_and_leaves_the_old_blob(
    moto: MotoServer, bucket: str, store: S3BlobStore
) -> None:
    await store.put_bytes("keep/me", b"previous", "text/plain")
    data = os.urandom(20 * MiB)
    with pytest.raises(BlobTooLarge):
        await store.put_stream("keep/me", chunks_of(data, MiB), "x/y", max_bytes=17 * MiB)
    with pytest.raises(BlobTooLarge):
        await store.put_stream("new/one", chunks_of(data, MiB), "x/y", max_bytes=17 * MiB)
    assert await store.get_bytes("keep/me") == b"previous"
    assert object_keys(moto, bucket) == ["pictor/keep/me"]
    assert uploads_in_progress(moto, bucket) == []


async def test_source_failing_mid_multipart_leaves_nothing(
    moto: MotoServer, bucket: str, store: S3BlobStore
) -> None:
    async def broken() -> AsyncIterator[bytes]:
        for _ in range(18):
            yield b"b" * MiB
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put_stream("half/done", broken(), "x/y")
    assert object_keys(moto, bucket) == []
    assert uploads_in_progress(moto, bucket) == []


async def test_cancel_mid_multipart_aborts_the_upload(
    moto: MotoServer, bucket: str, store: S3BlobStore
) -> None:
    two_parts_sent = asyncio.Event()
    never = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        for _ in range(17):
            yield b"c" * MiB
        two_parts_sent.set()
        await never.wait()
        yield b"unreachable"

    task = asyncio.create_task(store.put_stream("cancel/me", stalled(), "x/y"))
    await asyncio.wait_for(two_parts_sent.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert object_keys(moto, bucket) == []
    assert uploads_in_progress(moto, bucket) == []


# -- addressing styles ------------------------------------------------------------------------


async def test_path_style_puts_the_bucket_in_the_path(moto: MotoServer, bucket: str) -> None:
    settings = moto.settings(bucket, addressing_style="path")
    client = s3_client(settings)
    urls: list[str] = []
    client.meta.events.register("before-send.s3", lambda request, **_: urls.append(request.url))
    store = S3BlobStore(client, parse_s3_url(settings.url or ""))
    await store.put_bytes("k.txt", b"path", "text/plain")
    assert await store.get_bytes("k.txt") == b"path"
    assert urls[0] == f"{moto.endpoint}/{bucket}/k.txt"
    store.close()


async def test_virtual_host_style_puts_the_bucket_in_the_host(
    moto: MotoServer, bucket: str
) -> None:
    # bucket.s3.pictor.test does not resolve here, so requests reach moto through it as an
    # HTTP proxy, with the virtual host in the request line and Host header, as on AWS.
    host = f"s3.pictor.test:{moto.port}"
    settings = moto.settings(bucket, endpoint_url=f"http://{host}", addressing_style="virtual")
    client = s3_client(settings, proxies={"http": moto.endpoint})
    urls: list[str] = []
    client.meta.events.register("before-send.s3", lambda request, **_: urls.append(request.url))
    store = S3BlobStore(client, parse_s3_url(settings.url or ""))
    await store.put_bytes("v/k.txt", b"virtual", "text/plain")
    assert urls[0] == f"http://{bucket}.{host}/v/k.txt"
    assert moto.admin().get_object(Bucket=bucket, Key="v/k.txt")["Body"].read() == b"virtual"
    assert await store.get_bytes("v/k.txt") == b"virtual"
    store.close()


# -- presigned URLs ---------------------------------------------------------------------------


def sigv4_signature_matches(url: str, secret: str) -> bool:
    """Recompute the SigV4 query signature the way S3 checks it (moto does not check)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    given = query.pop("X-Amz-Signature")[0]
    credential = query["X-Amz-Credential"][0]
    request = AWSRequest(method="GET", url=f"{parts.scheme}://{parts.netloc}{parts.path}")
    auth = S3SigV4QueryAuth(
        Credentials(credential.split("/")[0], secret),
        "s3",
        REGION,
        expires=int(query["X-Amz-Expires"][0]),
    )
    # Signed at the URL's X-Amz-Date, as S3 checks it: add_auth stamps the request with
    # the current time, which is another second when the check crosses a second boundary.
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    with patch("botocore.auth.get_current_datetime", return_value=signed_at):
        auth.add_auth(request)
    expected = parse_qs(urlsplit(request.url).query)["X-Amz-Signature"][0]
    return bool(expected == given)


async def test_presigned_url_downloads_with_plain_http_and_is_short_lived(
    store: S3BlobStore,
) -> None:
    await store.put_bytes("usr_p/art.png", b"the png", "image/png")
    url = await store.presigned_url("usr_p/art.png", ttl_s=30)
    assert url is not None
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200 and response.content == b"the png"
    assert response.headers["content-type"] == "image/png"

    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["30"]
    assert query["X-Amz-Credential"][0].startswith(f"{ACCESS_KEY}/")
    assert urlsplit(url).path.endswith("/pictor/usr_p/art.png")
    assert sigv4_signature_matches(url, SECRET_KEY)
    # Any change to what was signed (the key, the expiry) breaks the signature.
    assert not sigv4_signature_matches(url.replace("art.png", "art2.png"), SECRET_KEY)
    assert not sigv4_signature_matches(url.replace("X-Amz-Expires=30", "X-Amz-Expires=99"), "")
    assert not sigv4_signature_matches(url, "another-secret")


async def test_presigning_is_off_unless_asked(moto: MotoServer, bucket: str) -> None:
    plain = S3BlobStore.from_settings(moto.settings(bucket))
    await plain.put_bytes("k", b"v", "text/plain")
    assert await plain.presigned_url("k", ttl_s=60) is None
    plain.close()


async def test_presign_endpoint_is_the_one_clients_reach(moto: MotoServer, bucket: str) -> None:
    settings = moto.settings(bucket, presign=True, presign_endpoint_url="https://media.example.com")
    store = S3BlobStore.from_settings(settings)
    url = await store.presigned_url("usr/x.png", ttl_s=60)
    assert url is not None and url.startswith(f"https://media.example.com/{bucket}/usr/x.png?")
    store.close()


# -- storage that is down or broken -----------------------------------------------------------


async def test_storage_down_is_storage_unavailable_and_recovers() -> None:
    server = MotoServer().start()
    try:
        bucket = server.new_bucket()
        store = S3BlobStore.from_settings(server.settings(bucket, max_attempts=1))
        await store.put_bytes("k", b"v", "text/plain")
        server.stop()

        calls = [
            store.put_bytes("k2", b"v", "text/plain"),
            store.put_stream("k3", chunks_of(os.urandom(9 * MiB), MiB), "x/y"),
            store.get_bytes("k"),
            store.exists("k"),
            store.delete("k"),
        ]
        for call in calls:
            with pytest.raises(StorageUnavailable) as caught:
                await call
            assert caught.value.code == "storage_unavailable" and caught.value.transient
        with pytest.raises(StorageUnavailable):
            async for _ in store.iter_bytes("k"):
                pass
        with pytest.raises(StorageUnavailable):
            async for _ in store.list_keys():
                pass
        readiness = await store.check()
        assert not readiness.available and "unavailable" in readiness.detail
        assert SECRET_KEY not in readiness.detail

        server.start()  # a new, empty server on the same port
        server.admin().create_bucket(Bucket=bucket)
        assert (await store.check()).available
        await store.put_bytes("k", b"again", "text/plain")
        assert await store.get_bytes("k") == b"again"
        store.close()
    finally:
        server.stop()


async def test_missing_bucket_is_unavailable_not_not_found(moto: MotoServer) -> None:
    store = S3BlobStore.from_settings(moto.settings("no-such-bucket-here"))
    with pytest.raises(StorageUnavailable, match="NoSuchBucket"):
        await store.put_bytes("k", b"v", "text/plain")
    readiness = await store.check()
    assert not readiness.available and "does not exist" in readiness.detail
    store.close()


async def test_missing_object_is_blob_not_found(store: S3BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        await store.get_bytes("usr/missing.png")
    assert caught.value.details == {"key": "usr/missing.png"}


class _Answers503(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b"<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>"
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def failing_s3() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_5xx_from_s3_is_storage_unavailable(failing_s3: str, moto: MotoServer) -> None:
    settings = moto.settings("some-bucket", endpoint_url=failing_s3, max_attempts=2)
    store = S3BlobStore.from_settings(settings)
    for call in [store.put_bytes("k", b"v", "text/plain"), store.get_bytes("k")]:
        with pytest.raises(StorageUnavailable, match="503"):
            await call
    assert not (await store.check()).available
    store.close()


async def test_s3_that_never_answers_times_out_as_unavailable(moto: MotoServer) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings = moto.settings(
            "some-bucket", endpoint_url=endpoint, read_timeout_s=0.3, max_attempts=1
        )
        store = S3BlobStore.from_settings(settings)
        with pytest.raises(StorageUnavailable, match=r"timeout|timed out"):
            await store.get_bytes("k")
        store.close()
