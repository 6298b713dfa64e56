"""JobContext: what a pipeline sees of the platform while it runs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from pictor.artifacts.models import Artifact
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.engines.catalog import Engines
from pictor.errors import InvalidInput, JobCanceled
from pictor.gallery.describe import gallery_fields
from pictor.ids import new_id
from pictor.images.limits import ImageLimits
from pictor.jobs.changes import cancel_requested, change
from pictor.jobs.cpu import CpuPool
from pictor.jobs.events import EventBus
from pictor.jobs.models import Job, JobStatus
from pictor.storage.base import BlobStore
from pictor.storage.keys import artifact_key

T = TypeVar("T")


def _input_key(conn: Connection, artifact_id: str, owner_id: str) -> str | None:
    table = Artifact.__table__
    key: str | None = conn.execute(
        select(table.c.storage_key).where(table.c.id == artifact_id, table.c.owner_id == owner_id)
    ).scalar()
    return key


def _job_params(conn: Connection, job_id: str) -> dict[str, Any]:
    params = conn.execute(select(Job.__table__.c.params).where(Job.__table__.c.id == job_id))
    return dict(params.scalar() or {})


@dataclass
class PendingOutput:
    """An output stored in the blob store, whose row is written when the job succeeds."""

    artifact: Artifact


@dataclass
class JobContext:
    job_id: str
    owner_id: str
    kind: str
    attempt: int
    inputs: list[dict[str, Any]]
    lease_s: float
    db: Database
    bus: EventBus
    store: BlobStore
    engines: Engines
    image_limits: ImageLimits
    cpu: CpuPool
    #: The job's price in credits, reserved at submit (the settings' price table with
    #: its overrides, or a batch's discounted share).
    cost: int
    outputs: list[PendingOutput] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    engine: str | None = None
    #: What the job costs once it succeeded, a part of ``cost``, when the pipeline knows
    #: better than the price reserved (a localize job pays only for the languages it made).
    charge: int | None = None
    #: The job's params (the runner has them from the claim), for the gallery prompt of
    #: an output; read once by the first ``save_output`` when not given.
    params: dict[str, Any] | None = field(default=None, repr=False)

    async def input_bytes(self, index: int = 0) -> bytes:
        """The raw bytes of input ``index`` (an upload artifact of the job's owner)."""
        artifact_id = str(self.inputs[index].get("artifact_id"))
        key = await self.db.read(lambda conn: _input_key(conn, artifact_id, self.owner_id))
        if key is None:
            raise InvalidInput(f"input {artifact_id} no longer exists", code="input_missing")
        return await self.store.get_bytes(key)

    async def progress(self, percent: int, stage: str, *, share_result: bool = False) -> None:
        """Report progress; raises JobCanceled here if a cancel was requested.

        With ``share_result`` the result so far is stored on the job and sent in the
        event, so clients see partial work (say, each logo variant) as it is made.
        """
        percent = max(0, min(100, int(percent)))
        partial: dict[str, Any] = {"result": dict(self.result)} if share_result else {}

        reported = await change(
            self.db,
            self.job_id,
            from_status=JobStatus.RUNNING,
            attempt=self.attempt,
            event=("progress", {"progress": percent, "stage": stage, **partial}),
            uncanceled=True,
            progress=percent,
            stage=stage[:200],
            lease_expires_at=utcnow() + timedelta(seconds=self.lease_s),
            **partial,
        )
        if reported is not None:
            await self.bus.publish(reported)
        elif await self.db.read(lambda conn: cancel_requested(conn, self.job_id, self.attempt)):
            raise JobCanceled("canceled by request")
        else:
            # The job was taken from us (lease expired and re-queued): stop quietly.
            raise JobCanceled("this attempt no longer owns the job", code="attempt_superseded")

    async def run_cpu(self, fn: Callable[..., T], *args: Any) -> T:
        """Run CPU-heavy work in a child process (or a thread when no pool is configured).

        ``fn`` and its arguments must pickle; the result comes back the same way.
        """
        return await self.cpu.run(fn, *args)

    async def save_output(
        self,
        data: bytes,
        *,
        content_type: str,
        ext: str,
        width: int | None = None,
        height: int | None = None,
        engine: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> str:
        """Store an output file now; its artifact row is written when the job succeeds."""
        artifact_id = new_id("art")
        key = artifact_key(self.owner_id, artifact_id, ext)
        if self.params is None:
            self.params = await self.db.read(lambda conn: _job_params(conn, self.job_id))
        gallery = gallery_fields(self.kind, self.params, meta)
        info = await self.store.put_bytes(key, data, content_type)
        artifact = Artifact(
            id=artifact_id,
            owner_id=self.owner_id,
            job_id=self.job_id,
            role="output",
            storage_key=key,
            filename=f"{self.kind}-{artifact_id}.{ext}",
            content_type=content_type,
            size=info.size,
            width=width,
            height=height,
            sha256=info.sha256 or hashlib.sha256(data).hexdigest(),
            engine=engine,
            meta=meta or {},
            kind=gallery.kind,
            prompt=gallery.prompt,
            search_text=gallery.search_text,
        )
        self.outputs.append(PendingOutput(artifact))
        return artifact_id

    async def discard_outputs(self) -> None:
        for pending in self.outputs:
            await self.store.delete(pending.artifact.storage_key)
        self.outputs.clear()
