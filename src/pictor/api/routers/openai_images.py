"""The OpenAI images API, spoken by pictor: ``/v1/images/generations`` and ``/edits``.

The official ``openai`` SDK pointed at pictor (``base_url=.../v1``, ``api_key=psk_...``)
works unchanged. Each call is a pictor job (recorded, owned, priced) run by pictor's
providers; the answer has OpenAI's shape (``created``, ``data[].b64_json | url``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.errors import status_for_code, validate_params
from pictor.api.multipart import MultiFileForm
from pictor.api.presenters import file_url
from pictor.api.routers.jobs import wait_until_final
from pictor.artifacts.models import Artifact
from pictor.artifacts.repository import ArtifactRepository
from pictor.artifacts.service import store_upload
from pictor.errors import InvalidInput, PictorError
from pictor.images.errors import FileTooLarge
from pictor.jobs.events import publishing
from pictor.jobs.repository import JobRepository
from pictor.jobs.service import JobService, Submission
from pictor.pipelines.generate import EditParams, GenerateParams
from pictor.runtime import Runtime

router = APIRouter(prefix="/v1/images", tags=["OpenAI-compatible images"])

PROVIDERS = ("gemini", "openai", "replicate")
#: OpenAI request fields that only an OpenAI-compatible provider understands.
OPENAI_ONLY = ("quality", "style", "background", "output_format", "output_compression",
               "moderation", "input_fidelity", "user")  # fmt: skip
#: How a failed job's error reads over this API (OpenAI answers refusals with 400).
STATUS = {"content_blocked": 400, "provider_error": 502, "provider_auth_failed": 502,
          "provider_unavailable": 503, "provider_timeout": 504}  # fmt: skip
#: 16 images and a mask, as OpenAI takes.
MAX_FILES = 17
#: A generations request is a prompt and a few options.
MAX_JSON_BYTES = 1_000_000
#: Room for the text fields and part headers of a form besides its files.
FORM_OVERHEAD = 1_000_000


class RequestTooLarge(InvalidInput):
    code = "request_too_large"


def _provider_and_model(runtime: Runtime, model: Any) -> tuple[str | None, str | None]:
    """``provider:model``, a provider name, an OpenAI model name, or any model name."""
    if not model:
        return None, None
    text = str(model)
    name, sep, rest = text.partition(":")
    if sep and name in PROVIDERS:
        return name, rest or None
    if text in PROVIDERS:
        return text, None
    if text.startswith(("gpt-image", "dall-e")):
        # What OpenAI clients send by habit: the OpenAI provider if there is one, else
        # pictor's default provider with its own model (the engine is in X-Engine).
        openai = runtime.engines.providers.get("openai")
        return ("openai", text) if openai.availability().available else (None, None)
    return None, text


def _params(runtime: Runtime, fields: dict[str, Any], model_type: type[GenerateParams]) -> Any:
    provider, model = _provider_and_model(runtime, fields.get("model"))
    options = fields.get("provider_options") or {}
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError:
            raise InvalidInput("provider_options is not JSON", field="provider_options") from None
    if provider == "openai" or (provider is None and runtime.engines.default_provider == "openai"):
        options = {**{k: fields[k] for k in OPENAI_ONLY if k in fields}, **options}
    size = fields.get("size")
    values = {
        "prompt": fields.get("prompt"),
        "provider": provider,
        "model": model,
        "size": None if size in (None, "", "auto") else size,
        "n": fields.get("n") or 1,
        "provider_options": options,
        **{
            key: fields[key]
            for key in ("negative_prompt", "aspect_ratio", "resolution", "seed")
            if fields.get(key) not in (None, "")
        },
    }
    return validate_params(model_type, values)


def _refuse_oversized_body(request: Request, runtime: Runtime) -> None:
    """A declared body larger than every file at its limit is refused before reading it."""
    declared = request.headers.get("content-length", "")
    limit = MAX_FILES * runtime.image_limits.max_bytes + FORM_OVERHEAD
    if declared.isdigit() and int(declared) > limit:
        raise FileTooLarge(
            f"the form is {declared} bytes; at most {MAX_FILES} files of "
            f"{runtime.image_limits.max_bytes} bytes each are taken",
            field="image",
        )


async def _store_files(
    runtime: Runtime, owner_id: str, form: MultiFileForm
) -> tuple[list[Artifact], list[Artifact]]:
    """Every file part streamed to storage under the upload limit: (images, masks).

    The caller adds the rows, or deletes the blobs if the request is refused.
    """
    images: list[Artifact] = []
    masks: list[Artifact] = []
    try:
        while (part := await form.next_file()) is not None:
            artifact = await store_upload(
                runtime.store,
                runtime.image_limits,
                owner_id,
                form.file_chunks(),
                filename=part.filename,
            )
            (masks if part.name == "mask" else images).append(artifact)
    except BaseException:
        await _discard(runtime, [*images, *masks])
        raise
    return images, masks


async def _discard(runtime: Runtime, artifacts: list[Artifact]) -> None:
    for artifact in artifacts:
        await runtime.store.delete(artifact.storage_key)


async def _run_job(
    request: Request, runtime: Runtime, owner_id: str, kind: str, params: Any, uploads: list[str]
) -> JSONResponse:
    async with publishing(runtime.db, runtime.bus) as session:
        service = JobService(
            session,
            runtime.catalog,
            runtime.engines,
            max_attempts=runtime.settings.worker.max_attempts,
            prices=runtime.settings.credits,
        )
        submitted = await service.submit(
            owner_id, Submission(kind=kind, upload_ids=uploads, params=params)
        )
    job_id = submitted.job.id
    if runtime.queue is not None:
        await runtime.queue.enqueue(job_id)
    await wait_until_final(runtime, job_id, runtime.catalog.get(kind).timeout_s + 30)
    async with runtime.db.read_session() as session:
        job = await JobRepository(session).get(job_id)
        outputs = await ArtifactRepository(session).of_job(job_id)
    assert job is not None
    headers = {"X-Job-Id": job_id, "X-Engine": job.engine or ""}
    if job.status != "succeeded":
        code = job.error_code or "job_not_finished"
        error = PictorError(job.error_message or f"the job is {job.status}", code=code)
        status = STATUS.get(code) or (status_for_code(code) if job.error_code else 504)
        body = {**error.to_dict(), "type": "pictor_error", "param": None, "job_id": job_id}
        return JSONResponse({"error": body}, status, headers=headers)
    as_url = params_format(request) == "url"
    data = []
    for artifact in outputs:
        item: dict[str, Any] = {"revised_prompt": job.result.get("revised_prompt")}
        if as_url:
            item["url"] = file_url(runtime, str(request.base_url), artifact)[0]
        else:
            blob = await runtime.store.get_bytes(artifact.storage_key)
            item["b64_json"] = base64.b64encode(blob).decode("ascii")
        data.append(item)
    created = int(job.created_at.timestamp())
    return JSONResponse({"created": created, "data": data}, headers=headers)


def params_format(request: Request) -> str:
    return str(getattr(request.state, "response_format", None) or "b64_json")


async def _json_body(request: Request) -> bytes:
    """The body, refused once it passes MAX_JSON_BYTES (a prompt is at most 4000 chars)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise RequestTooLarge(f"the request body is over {MAX_JSON_BYTES} bytes")
    return bytes(body)


_TEXT_FIELDS: dict[str, Any] = {
    "prompt": {"type": "string", "maxLength": 4000},
    "model": {"type": "string", "description": "provider:model, a provider, or a model"},
    "n": {"type": "integer", "minimum": 1, "maximum": 4},
    "size": {"type": "string", "example": "1024x1024"},
    "response_format": {"type": "string", "enum": ["b64_json", "url"]},
    "aspect_ratio": {"type": "string", "example": "16:9"},
    "resolution": {"type": "string", "enum": ["1K", "2K", "4K"]},
    "negative_prompt": {"type": "string"},
    "seed": {"type": "integer"},
}
_BINARY = {"type": "string", "format": "binary"}
_GENERATIONS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["prompt"],
                    "properties": {**_TEXT_FIELDS, "provider_options": {"type": "object"}},
                }
            }
        },
    }
}
_EDITS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["prompt"],
                    "properties": {
                        "image[]": {"type": "array", "items": _BINARY, "maxItems": 16},
                        "image": _BINARY,
                        "mask": _BINARY,
                        **_TEXT_FIELDS,
                        "provider_options": {"type": "string", "description": "JSON object"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/generations",
    summary="Create images (OpenAI-compatible)",
    openapi_extra=_GENERATIONS_BODY,
)
async def generations(
    request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> JSONResponse:
    """OpenAI's request body; `model` may be `provider:model`. Extras: `aspect_ratio`,
    `resolution`, `negative_prompt`, `seed`, `provider_options`."""
    try:
        fields = json.loads(await _json_body(request))
    except ValueError:
        raise InvalidInput("the body is not valid JSON", code="invalid_request") from None
    if not isinstance(fields, dict):
        raise InvalidInput("the body must be a JSON object", code="invalid_request")
    request.state.response_format = _response_format(fields)
    params = _params(runtime, fields, GenerateParams)
    return await _run_job(request, runtime, principal.user_id, "generate", params, [])


@router.post(
    "/edits",
    summary="Edit images (OpenAI-compatible, multipart `image[]`)",
    openapi_extra=_EDITS_BODY,
)
async def edits(request: Request, runtime: RuntimeDep, principal: PrincipalDep) -> JSONResponse:
    """Multipart like OpenAI's: `image` or `image[]` (1 to 16 files), optional `mask`, `prompt`.

    Each file is streamed to storage and refused with 413 `file_too_large` as soon as it
    passes the upload limit (`PICTOR_IMAGES_MAX_BYTES`), like `/v1/uploads`.
    """
    _refuse_oversized_body(request, runtime)
    form = MultiFileForm(
        request,
        file_fields=("image", "image[]", "mask"),
        max_files=MAX_FILES,
        wrong_type="send multipart/form-data with the image(s) in `image` or `image[]`",
    )
    images, masks = await _store_files(runtime, principal.user_id, form)
    try:
        if not images:
            raise InvalidInput("send the image(s) as files in `image` or `image[]`", field="image")
        if len(masks) > 1:
            raise InvalidInput("at most one `mask`", field="mask")
        fields = dict(form.fields)
        request.state.response_format = _response_format(fields)
        params = _params(runtime, {**fields, "last_input_is_mask": bool(masks)}, EditParams)
        params.last_input_is_mask = bool(masks)
        spec = runtime.catalog.get("edit")
        if spec.check is not None:
            spec.check(params, runtime.engines)  # provider_not_configured keeps no upload
    except BaseException:
        await _discard(runtime, [*images, *masks])
        raise
    async with runtime.db.session() as session:
        repo = ArtifactRepository(session)
        for artifact in [*images, *masks]:
            repo.add(artifact)
    uploads = [artifact.id for artifact in [*images, *masks]]
    return await _run_job(request, runtime, principal.user_id, "edit", params, uploads)


def _response_format(fields: dict[str, Any]) -> str:
    value = fields.get("response_format") or "b64_json"
    if value not in ("b64_json", "url"):
        raise InvalidInput("response_format is b64_json or url", field="response_format")
    return str(value)
