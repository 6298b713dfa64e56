"""A batch's results as one ZIP, streamed: each output as it is read from storage, then
a manifest (CSV and JSON) of every item. Never the whole archive in memory.

Files are named ``<index>_<job id>_<n>.<ext>`` (index zero-padded so they sort in item
order, ``n`` from 1 per item). Outputs are stored as they are (images are compressed
already); the manifests are deflated.
"""

from __future__ import annotations

import csv
import io
import json
import mimetypes
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, select

from pictor.artifacts.models import Artifact
from pictor.batches.queries import BatchRecord
from pictor.jobs.models import Job
from pictor.storage.base import BlobNotFound, BlobStore

JOBS = cast(Table, Job.__table__)
ARTIFACTS = cast(Table, Artifact.__table__)
_j = JOBS.c
_a = ARTIFACTS.c
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "text/plain": "txt"}
MANIFEST_FIELDS = (
    "index",
    "job_id",
    "kind",
    "status",
    "error_code",
    "error_message",
    "outputs",
    "cost",
)

_ROWS = (
    select(
        _j.id,
        _j.kind,
        _j.status,
        _j.cost,
        _j.error_code,
        _j.error_message,
        _a.id,
        _a.storage_key,
        _a.content_type,
        _a.filename,
        _a.created_at,
    )
    .select_from(
        JOBS.outerjoin(
            ARTIFACTS,
            and_(_a.job_id == _j.id, _a.role == "output", _a.deleted_at.is_(None)),
        )
    )
    .where(_j.batch_id == bindparam("batch_id"))
    .order_by(_j.id, _a.id)
)


@dataclass
class OutputFile:
    name: str
    storage_key: str
    created_at: datetime


@dataclass
class ManifestItem:
    index: int
    job_id: str
    kind: str
    status: str
    error_code: str | None
    error_message: str | None
    cost: int
    outputs: list[OutputFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "job_id": self.job_id,
            "kind": self.kind,
            "status": self.status,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "outputs": [o.name for o in self.outputs if o.name not in self.missing],
            "cost": self.cost,
        }


def extension(content_type: str, filename: str) -> str:
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    if "." in filename:
        return filename.rsplit(".", 1)[1].lower()
    guessed = mimetypes.guess_extension(content_type) or ".bin"
    return guessed.lstrip(".")


def manifest(conn: Connection, batch: BatchRecord) -> list[ManifestItem]:
    """Every item of the batch in its order, with its outputs (not those in the trash)."""
    index_of = {job_id: i for i, job_id in enumerate(batch.job_ids)}
    width = len(str(max(0, batch.item_count - 1)))
    items: dict[str, ManifestItem] = {}
    for row in conn.execute(_ROWS, {"batch_id": batch.id}):
        job_id, kind, status, cost, code, message, art_id, key, ctype, fname, created = row
        item = items.get(job_id)
        if item is None:
            item = items[job_id] = ManifestItem(
                index_of[job_id], job_id, kind, status, code, message, cost
            )
        if art_id is not None:
            n = len(item.outputs) + 1
            name = f"{item.index:0{width}d}_{job_id}_{n}.{extension(ctype, fname)}"
            item.outputs.append(OutputFile(name, key, created))
    return sorted(items.values(), key=lambda item: item.index)


class _Sink(io.RawIOBase):
    """Where zipfile writes: bytes collected until the stream takes them."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _manifest_csv(rows: list[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "outputs": " ".join(row["outputs"])})
    return text.getvalue().encode()


async def stream_zip(
    store: BlobStore, batch: BatchRecord, items: list[ManifestItem]
) -> AsyncIterator[bytes]:
    """The archive, chunk by chunk (at most one storage chunk held at a time)."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED)
    for item in items:
        for output in item.outputs:
            chunks = store.iter_bytes(output.storage_key)
            try:
                first = await anext(chunks)
            except (BlobNotFound, StopAsyncIteration) as exc:
                if isinstance(exc, BlobNotFound):
                    # Removed from storage meanwhile: the manifest leaves it out.
                    item.missing.append(output.name)
                    continue
                first = b""
            info = zipfile.ZipInfo(output.name, output.created_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, mode="w") as entry:
                entry.write(first)
                async for chunk in chunks:
                    if data := sink.take():
                        yield data
                    entry.write(chunk)
            if data := sink.take():
                yield data
    rows = [item.row() for item in items]
    document = {
        "batch_id": batch.id,
        "item_count": batch.item_count,
        "items": rows,
    }
    archive.writestr("manifest.json", json.dumps(document, indent=1), zipfile.ZIP_DEFLATED)
    archive.writestr("manifest.csv", _manifest_csv(rows), zipfile.ZIP_DEFLATED)
    archive.close()
    yield sink.take()
