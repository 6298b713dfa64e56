"""The blob store the settings ask for: a local folder, or an S3 bucket for s3:// URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pictor.storage.base import BlobStore
from pictor.storage.local import LocalBlobStore

if TYPE_CHECKING:
    from pictor.config import Settings


def build_store(settings: Settings) -> BlobStore:
    """``LocalBlobStore`` under ``settings.blob_root``, or ``S3BlobStore`` for ``s3://``.

    boto3 is imported only here and only for S3: it ships in the ``distributed`` extra.
    """
    url = settings.storage.url
    if url is not None and url.startswith("s3://"):
        try:
            from pictor.storage.s3 import S3BlobStore
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError(
                "PICTOR_STORAGE_URL is s3://..., which needs boto3:"
                " pip install 'pictor[distributed]'"
            ) from exc
        return S3BlobStore.from_settings(settings.storage)
    return LocalBlobStore(settings.blob_root)
