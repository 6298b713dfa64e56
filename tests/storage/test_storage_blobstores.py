"""Every blob store through one suite: real files, a real S3 server (moto), no mocks."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from pictor.errors import StorageUnavailable
from pictor.storage import (
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    InvalidBlobKey,
    LocalBlobStore,
    MemoryBlobStore,
    artifact_key,
    validate_key,
)

MiB = 1 << 20
BAD_KEYS = ["../x", "/abs", "a//b", "a/../b", "x\\y", "a\x00b", "", "a/", "./a", "a b", "a" * 513]


@pytest.fixture(params=["local", "memory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    if request.param == "s3":
        s3: BlobStore = request.getfixturevalue("s3_store")  # moto on loopback
        return s3
    return MemoryBlobStore()


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def files_under(root: Path) -> list[Path]:
    return [Path(d) / f for d, _, names in os.walk(root) for f in names]


# -- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", BAD_KEYS)
def test_malformed_key_is_refused(key: str) -> None:
    with pytest.raises(InvalidBlobKey) as caught:
        validate_key(key)
    assert caught.value.code == "invalid_blob_key"


@pytest.mark.parametrize("key", ["a", "usr_1/art-2.png", "a/b/c/..d", "x" * 255])
def test_well_formed_key_is_accepted(key: str) -> None:
    assert validate_key(key) == key


def test_artifact_key_joins_owner_artifact_and_extension() -> None:
    assert artifact_key("usr_x", "art_y", "png") == "usr_x/art_y.png"
    assert artifact_key("usr_x", "art_y", ".WEBP") == "usr_x/art_y.webp"
    with pytest.raises(InvalidBlobKey):
        artifact_key("usr/x", "art_y", "png")
    with pytest.raises(InvalidBlobKey):
        artifact_key("usr_x", "art_y", "p/ng")


# -- behaviour shared by every store -------------------------------------------------------


async def test_stored_blob_reads_back_with_size_and_sha256(store: BlobStore) -> None:
    data = os.urandom(300_000)
    info = await store.put_bytes("usr_a/one.png", data, "image/png")
    assert (info.key, info.size, info.content_type) == ("usr_a/one.png", len(data), "image/png")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.exists("usr_a/one.png")
    assert await store.get_bytes("usr_a/one.png") == data
    pieces = [c async for c in store.iter_bytes("usr_a/one.png", chunk_size=65536)]
    assert b"".join(pieces) == data
    assert all(len(p) == 65536 for p in pieces[:-1]) and 0 < len(pieces[-1]) <= 65536


async def test_streamed_put_reports_what_was_streamed(store: BlobStore) -> None:
    data = os.urandom(3 * MiB + 17)
    info = await store.put_stream("s/blob.bin", chunks_of(data, 10_000), "application/x")
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert await store.get_bytes("s/blob.bin") == data


async def test_put_replaces_previous_blob(store: BlobStore) -> None:
    await store.put_bytes("k", b"old content", "text/plain")
    await store.put_bytes("k", b"new", "text/plain")
    assert await store.get_bytes("k") == b"new"


async def test_empty_blob_roundtrips(store: BlobStore) -> None:
    info = await store.put_bytes("empty", b"", "application/octet-stream")
    assert info.size == 0 and info.sha256 == hashlib.sha256(b"").hexdigest()
    assert await store.get_bytes("empty") == b""
    assert [c async for c in store.iter_bytes("empty")] == []


async def test_delete_removes_blob_and_is_idempotent(store: BlobStore) -> None:
    await store.put_bytes("d/x", b"1", "text/plain")
    await store.delete("d/x")
    assert not await store.exists("d/x")
    await store.delete("d/x")
    await store.delete("never/there")


async def test_missing_blob_raises_blob_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        await store.get_bytes("no/such")
    assert caught.value.code == "blob_not_found"
    with pytest.raises(BlobNotFound):
        async for _ in store.iter_bytes("no/such"):
            pass
    assert not await store.exists("no/such")


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_store_refuses_bad_keys_everywhere(store: BlobStore, key: str) -> None:
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.put_bytes(key, b"x", "text/plain"),
        lambda: store.put_stream(key, chunks_of(b"x", 1), "text/plain"),
        lambda: store.get_bytes(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.local_path(key),
    ]
    for call in calls:
        with pytest.raises(InvalidBlobKey):
            await call()
    with pytest.raises(InvalidBlobKey):
        async for _ in store.iter_bytes(key):
            pass


async def test_upload_over_max_bytes_leaves_nothing(store: BlobStore, tmp_path: Path) -> None:
    await store.put_bytes("keep/me", b"previous", "text/plain")
    data = os.urandom(3 * MiB)
    with pytest.raises(BlobTooLarge) as caught:
        await store.put_stream("big/one", chunks_of(data, 50_000), "x/y", max_bytes=2 * MiB)
    assert caught.value.code == "file_too_large"
    with pytest.raises(BlobTooLarge):
        await store.put_stream("keep/me", chunks_of(data, 50_000), "x/y", max_bytes=2 * MiB)
    assert not await store.exists("big/one")
    assert await store.get_bytes("keep/me") == b"previous"
    if isinstance(store, LocalBlobStore):
        assert files_under(store.root) == [store.root / "keep" / "me"]


async def test_upload_exactly_max_bytes_is_accepted(store: BlobStore) -> None:
    info = await store.put_stream("edge", chunks_of(b"z" * 1000, 300), "x/y", max_bytes=1000)
    assert info.size == 1000


async def test_failing_source_stream_leaves_nothing(store: BlobStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"a" * (2 * MiB)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put_stream("half/done", broken(), "x/y")
    assert not await store.exists("half/done")
    if isinstance(store, LocalBlobStore):
        assert files_under(store.root) == []


@pytest.mark.parametrize("chunk_size", [1, 1000, 65536, 3 * MiB])
async def test_iter_bytes_honours_chunk_size(store: BlobStore, chunk_size: int) -> None:
    data = os.urandom(2 * MiB + 5 if chunk_size > 1 else 3000)
    await store.put_bytes("it/blob", data, "x/y")
    pieces = [c async for c in store.iter_bytes("it/blob", chunk_size=chunk_size)]
    assert b"".join(pieces) == data
    assert max(len(p) for p in pieces) <= chunk_size
    assert all(len(p) == chunk_size for p in pieces[:-1])


async def test_cancelled_upload_leaves_nothing(store: BlobStore) -> None:
    half_sent = asyncio.Event()
    never = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        for _ in range(3):  # past one write batch, so a temp file exists
            yield b"c" * MiB
        half_sent.set()
        await never.wait()
        yield b"unreachable"

    task = asyncio.create_task(store.put_stream("cancel/me", stalled(), "x/y"))
    await asyncio.wait_for(half_sent.wait(), timeout=5)
    if isinstance(store, LocalBlobStore):
        assert len(files_under(store.root)) == 1  # the temp file being filled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await store.exists("cancel/me")
    if isinstance(store, LocalBlobStore):
        assert files_under(store.root) == []


async def test_concurrent_puts_to_one_key_leave_one_complete_blob(store: BlobStore) -> None:
    bodies = [bytes([i]) * (2 * MiB + i) for i in range(6)]
    await asyncio.gather(
        *(store.put_stream("race/key", chunks_of(b, 256 * 1024), "x/y") for b in bodies)
    )
    assert await store.get_bytes("race/key") in bodies
    if isinstance(store, LocalBlobStore):
        assert files_under(store.root) == [store.root / "race" / "key"]


async def test_store_reports_ready(store: BlobStore) -> None:
    assert (await store.check()).available


async def test_list_keys_yields_stored_keys_by_prefix_sorted(store: BlobStore) -> None:
    for key in ["usr_b/x.png", "usr_a/2.png", "usr_a/1.png", "usr_ab/3.png", "top"]:
        await store.put_bytes(key, b"k", "image/png")
    everything = [k async for k in store.list_keys()]
    assert everything == ["top", "usr_a/1.png", "usr_a/2.png", "usr_ab/3.png", "usr_b/x.png"]
    assert [k async for k in store.list_keys("usr_a/")] == ["usr_a/1.png", "usr_a/2.png"]
    assert [k async for k in store.list_keys("usr_a")] == [
        "usr_a/1.png",
        "usr_a/2.png",
        "usr_ab/3.png",
    ]
    assert [k async for k in store.list_keys("nobody/")] == []
    await store.delete("usr_a/1.png")
    assert [k async for k in store.list_keys("usr_a/")] == ["usr_a/2.png"]


async def test_upload_in_progress_is_not_listed(store: BlobStore) -> None:
    half_sent = asyncio.Event()
    never = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        for _ in range(6):  # past one local write batch and one 5 MiB S3 part
            yield b"p" * MiB
        half_sent.set()
        await never.wait()
        yield b"unreachable"

    await store.put_bytes("done/one", b"1", "x/y")
    task = asyncio.create_task(store.put_stream("done/two", stalled(), "x/y"))
    await asyncio.wait_for(half_sent.wait(), timeout=10)
    assert [k async for k in store.list_keys()] == ["done/one"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [k async for k in store.list_keys()] == ["done/one"]


# -- local store only ------------------------------------------------------------------------


async def test_local_store_streams_50_mb_without_holding_it(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    count = 800  # chunks of 64 KiB: 50 MiB
    template = bytearray(os.urandom(64 * 1024))

    def chunk(i: int) -> bytes:
        # A fresh object per chunk, so a store that kept them would show in tracemalloc.
        template[:4] = i.to_bytes(4, "big")
        return bytes(template)

    expected = hashlib.sha256()
    for i in range(count):
        expected.update(chunk(i))

    async def source() -> AsyncIterator[bytes]:
        for i in range(count):
            yield chunk(i)

    tracemalloc.start()
    try:
        info = await store.put_stream("big/file.bin", source(), "application/octet-stream")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == 50 * MiB
    assert info.sha256 == expected.hexdigest()
    assert peak < 8 * MiB, f"peak traced memory {peak} bytes while storing 50 MiB"
    assert (store.root / "big" / "file.bin").stat().st_size == 50 * MiB


async def test_local_store_serves_a_real_private_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs", fsync=True)
    await store.put_bytes("usr_q/a.png", b"png bytes", "image/png")
    path = await store.local_path("usr_q/a.png")
    assert path is not None and path.read_bytes() == b"png bytes"
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    with pytest.raises(BlobNotFound):
        await store.local_path("usr_q/missing.png")


async def test_memory_store_has_no_local_path() -> None:
    store = MemoryBlobStore()
    await store.put_bytes("k", b"v", "text/plain")
    assert await store.local_path("k") is None


async def test_symlinked_folder_leading_outside_root_is_refused(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"do not serve")
    (tmp_path / "blobs").mkdir()
    (tmp_path / "blobs" / "link").symlink_to(outside, target_is_directory=True)
    (tmp_path / "blobs" / "file_link").symlink_to(outside / "secret")

    with pytest.raises(InvalidBlobKey):
        await store.get_bytes("link/secret")
    with pytest.raises(InvalidBlobKey):
        await store.get_bytes("file_link")
    with pytest.raises(InvalidBlobKey):
        await store.put_bytes("link/planted", b"x", "text/plain")
    with pytest.raises(InvalidBlobKey):
        await store.local_path("link/secret")
    with pytest.raises(InvalidBlobKey):
        await store.delete("link/secret")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]
    assert (outside / "secret").read_bytes() == b"do not serve"


async def test_key_under_an_existing_blob_is_refused(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.put_bytes("a", b"file", "text/plain")
    with pytest.raises(InvalidBlobKey):
        await store.put_bytes("a/b", b"x", "text/plain")
    await store.put_bytes("c/d", b"x", "text/plain")
    with pytest.raises(InvalidBlobKey):
        await store.put_bytes("c", b"x", "text/plain")
    assert sorted(files_under(store.root)) == [store.root / "a", store.root / "c" / "d"]


async def test_unwritable_local_store_is_not_ready(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_bytes(b"")
    store = LocalBlobStore(tmp_path / "a_file" / "blobs")
    availability = await store.check()
    assert not availability.available
    assert "not writable" in availability.detail
    with pytest.raises(StorageUnavailable):
        await store.put_bytes("k", b"v", "text/plain")
