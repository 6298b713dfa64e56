"""Fixtures of the storage tests: one moto S3 server per session, a fresh bucket per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.storage.s3_server import MotoServer

from pictor.storage.s3 import S3BlobStore

MiB = 1 << 20


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def s3_store(moto: MotoServer) -> Iterator[S3BlobStore]:
    """A store under a key prefix of a new bucket; parts of 5 MiB (S3's smallest)."""
    settings = moto.settings(moto.new_bucket(), "tenant/blobs", part_size_bytes=5 * MiB)
    store = S3BlobStore.from_settings(settings)
    yield store
    store.close()
