"""/v1/localizations: a localize job from one multipart form, and its files as one ZIP.

The form is what marketers' tools send: the ad in ``file`` (or ``image``), and fields;
list fields (``target_languages``, ``target_markets``, ``brand_terms``) may repeat or
be one comma-separated value (``brand_terms`` also a JSON array, as names may hold
commas); ``translations`` is a JSON object. It is the same job as ``POST /v1/jobs``
with ``kind: "localize"``, with the same ``Idempotency-Key`` rules: the key names the
form (its params and the ad's SHA-256), so a retried form gets the same job and a
different form under the same key is refused (409 ``idempotency_key_reused``).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import StreamingResponse

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.errors import validate_params
from pictor.api.multipart import MalformedForm, MultiFileForm
from pictor.api.routers.jobs import (
    json_response,
    load_job_out,
    parse_prefer_wait,
    wait_until_final,
)
from pictor.artifacts.models import Artifact
from pictor.artifacts.repository import ArtifactRepository
from pictor.artifacts.service import store_upload
from pictor.errors import Conflict, InvalidInput
from pictor.jobs.errors import JobNotFound
from pictor.jobs.events import publishing
from pictor.jobs.records import JobRecord
from pictor.jobs.repository import JobRepository
from pictor.jobs.schemas import JobOut
from pictor.jobs.service import JobService, Submission, check_replay, request_hash
from pictor.jobs.transitions import by_idempotency_key
from pictor.pipelines.localize_params import LocalizeParams
from pictor.runtime import Runtime

router = APIRouter(prefix="/v1/localizations", tags=["localization"])

LIST_FIELDS = ("target_languages", "target_markets", "brand_terms")
BOOL_FIELDS = ("preserve_people", "remove_watermark")
TEXT_FIELDS = ("source_language", "image_size", "aspect_ratio", "engine")
MAX_VALUES = 200
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class JobNotSucceeded(Conflict):
    code = "job_not_succeeded"


class LocalizationForm(MultiFileForm):
    """Keeps every value of a repeated field (the base form keeps the last)."""

    def __init__(self, request: Request) -> None:
        super().__init__(
            request,
            file_fields=("file", "image"),
            max_files=1,
            wrong_type="send multipart/form-data with the ad in `file`",
        )
        self.values: dict[str, list[str]] = {}

    def _part_end(self) -> None:
        name = self._part
        super()._part_end()
        if name and name != "file" and name in self.fields:
            listed = self.values.setdefault(name, [])
            listed.append(self.fields[name])
            if sum(len(v) for v in self.values.values()) > MAX_VALUES:
                raise MalformedForm(f"more than {MAX_VALUES} form values")


def _split(values: list[str], name: str) -> list[str]:
    items: list[str] = []
    for value in values:
        text = value.strip()
        if name == "brand_terms" and text.startswith("["):
            try:
                items.extend(str(v) for v in json.loads(text))
            except ValueError:
                raise InvalidInput(f"{name} is not a JSON array", field=name) from None
            continue
        items.extend(part.strip() for part in text.split(",") if part.strip())
    return items


def params_from_form(values: dict[str, list[str]]) -> LocalizeParams:
    """The job's params from form fields; refused (422) as ``POST /v1/jobs`` would."""
    data: dict[str, Any] = {}
    for name in LIST_FIELDS:
        if name in values:
            data[name] = _split(values[name], name)
    for name in (*TEXT_FIELDS, *BOOL_FIELDS):
        if name in values:
            data[name] = values[name][-1].strip()
    if "translations" in values:
        try:
            data["translations"] = json.loads(values["translations"][-1])
        except ValueError:
            raise InvalidInput("translations is not a JSON object", field="translations") from None
    unknown = sorted(set(values) - {*LIST_FIELDS, *TEXT_FIELDS, *BOOL_FIELDS, "translations"})
    if unknown:
        raise InvalidInput(f"unknown form field(s): {', '.join(unknown)}", field=unknown[0])
    return validate_params(LocalizeParams, data)


async def _store_ad(runtime: Runtime, owner_id: str, form: LocalizationForm) -> Artifact | None:
    part = await form.next_file()
    if part is None:
        return None
    artifact = await store_upload(
        runtime.store, runtime.image_limits, owner_id, form.file_chunks(), filename=part.filename
    )
    try:
        while await form.next_file() is not None:
            pass  # max_files=1 refuses a second file while it is parsed
    except BaseException:
        await runtime.store.delete(artifact.storage_key)
        raise
    return artifact


async def _replayed(
    runtime: Runtime, owner_id: str, key: str | None, sub: Submission
) -> JobRecord | None:
    """The job an earlier form with this Idempotency-Key made (409 if its form differs)."""
    if key is None:
        return None
    existing = await runtime.db.read(lambda conn: by_idempotency_key(conn, owner_id, key))
    return check_replay(existing, sub)


async def _submission(
    runtime: Runtime, form: LocalizationForm, ad: Artifact | None, key: str | None
) -> Submission:
    """The job the form asks for; checked before anything is written."""
    if ad is None:
        raise InvalidInput("send the ad as a file in `file`", field="file")
    params = params_from_form(form.values)
    spec = runtime.catalog.get("localize")
    if spec.check is not None:
        spec.check(params, runtime.engines)  # engine_unavailable keeps no upload
    named = {"kind": "localize", "params": params.model_dump(mode="json"), "ad": ad.sha256}
    return Submission(
        kind="localize",
        upload_ids=[ad.id],
        params=params,
        idempotency_key=key,
        request_hash=request_hash(named) if key else None,
    )


@router.post("", status_code=201, response_model=JobOut, summary="Localize an ad (multipart)")
async def create_localization(
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    prefer: Annotated[str | None, Header()] = None,
) -> Response:
    """The ad in `file`, targets in `target_languages` / `target_markets` (repeated or
    comma-separated); creates a `localize` job. `Prefer: wait=N` holds the answer;
    the same `Idempotency-Key` with the same form (and ad) answers the same job (200)."""
    wait = parse_prefer_wait(prefer)
    form = LocalizationForm(request)
    ad = await _store_ad(runtime, principal.user_id, form)
    try:
        sub = await _submission(runtime, form, ad, idempotency_key)
        existing = await _replayed(runtime, principal.user_id, idempotency_key, sub)
    except BaseException:
        if ad is not None:
            await runtime.store.delete(ad.storage_key)
        raise
    assert ad is not None  # _submission refuses a form without one
    if existing is not None:
        await runtime.store.delete(ad.storage_key)  # the first request's copy is the input
        job_id, created = existing.id, False
    else:
        try:
            job_id, created = await _submit(runtime, principal.user_id, ad, sub)
        except BaseException:  # refused (no credits, say): nothing keeps the ad
            await runtime.store.delete(ad.storage_key)
            raise
    if wait:
        await wait_until_final(runtime, job_id, wait)
    out = await load_job_out(runtime, str(request.base_url), job_id, principal.user_id)
    reply = json_response(out, 201 if created else 200)
    if wait:
        reply.headers["Preference-Applied"] = f"wait={wait:g}"
    return reply


async def _submit(
    runtime: Runtime, owner_id: str, ad: Artifact, sub: Submission
) -> tuple[str, bool]:
    async with publishing(runtime.db, runtime.bus) as session:
        ArtifactRepository(session).add(ad)
        await session.flush()
        service = JobService(
            session,
            runtime.catalog,
            runtime.engines,
            max_attempts=runtime.settings.worker.max_attempts,
            prices=runtime.settings.credits,
        )
        submitted = await service.submit(owner_id, sub)
    if submitted.created and runtime.queue is not None:
        await runtime.queue.enqueue(submitted.job.id)
    return submitted.job.id, submitted.created


class _Sink:
    """A write-only file for zipfile: what it is given is handed on in pieces."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.pieces)
        self.pieces.clear()
        return data


@router.get(
    "/{job_id}/archive",
    summary="Every localized ad of a job as one ZIP, named by market",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
async def localization_archive(
    job_id: str, runtime: RuntimeDep, principal: PrincipalDep
) -> StreamingResponse:
    """`japan-japanese.png`, `germany-german.png`... and `manifest.json` (the per-language
    results); streamed a file at a time. Failed languages are in the manifest only."""
    async with runtime.db.read_session() as session:
        job = await JobRepository(session).owned(job_id, principal.user_id)
        if job is None or job.kind != "localize":
            raise JobNotFound(f"no localize job {job_id}")
        if job.status != "succeeded":
            raise JobNotSucceeded(f"job {job_id} is {job.status}; the archive needs it succeeded")
        outputs = await ArtifactRepository(session).of_job(job_id)
        result = dict(job.result or {})
    # Outputs deleted from the gallery (trash or for good) are left out of the archive.
    artifacts = {a.id: a for a in outputs if a.deleted_at is None}
    entries = [
        e
        for e in result.get("languages", [])
        if e.get("status") == "succeeded" and e.get("output") in artifacts
    ]

    async def stream() -> AsyncIterator[bytes]:
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
            for entry in entries:
                artifact = artifacts[entry["output"]]
                data = await runtime.store.get_bytes(artifact.storage_key)
                name = f"{entry['file']}.{_EXT.get(artifact.content_type, 'png')}"
                archive.writestr(name, data)
                yield sink.take()
            manifest = json.dumps(result, ensure_ascii=False, indent=2).encode()
            archive.writestr("manifest.json", manifest, zipfile.ZIP_DEFLATED)
        yield sink.take()

    headers = {"Content-Disposition": f'attachment; filename="localized-{job_id}.zip"'}
    return StreamingResponse(stream(), media_type="application/zip", headers=headers)
