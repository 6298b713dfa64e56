"""Blob storage: the BlobStore protocol, its local and in-memory stores, signed URLs."""

from pictor.storage.base import (
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    InvalidBlobKey,
)
from pictor.storage.keys import artifact_key, validate_key
from pictor.storage.local import LocalBlobStore
from pictor.storage.memory import MemoryBlobStore
from pictor.storage.signing import (
    SignatureExpired,
    SignatureInvalid,
    SignedUrlLifetimeTooLong,
    UrlSigner,
)

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "InvalidBlobKey",
    "LocalBlobStore",
    "MemoryBlobStore",
    "SignatureExpired",
    "SignatureInvalid",
    "SignedUrlLifetimeTooLong",
    "UrlSigner",
    "artifact_key",
    "validate_key",
]
