"""POST /v1/remove-background: the image bytes in one call (what rembg-server users expect).

It runs through the same job machinery, so the work is recorded, owned and priced.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.errors import status_for_code, validate_params
from pictor.api.inputs import fetch_as_upload
from pictor.api.multipart import MalformedForm, StreamingForm
from pictor.api.routers.jobs import load_job_out, wait_until_final
from pictor.api.routers.uploads import upload_from_form
from pictor.artifacts.repository import ArtifactRepository
from pictor.errors import PictorError
from pictor.jobs.events import publishing
from pictor.jobs.service import JobService, Submission
from pictor.pipelines.remove_background import RemoveBackgroundParams

router = APIRouter(tags=["background removal"])
SYNC_WAIT_S = 60.0


def _params(fields: dict[str, Any]) -> RemoveBackgroundParams:
    options = {k: v for k, v in fields.items() if k not in ("image_url", "file")}
    return validate_params(RemoveBackgroundParams, options)


@router.post(
    "/v1/remove-background",
    summary="Remove the background and get the image back",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/webp": {}}, "description": "The cut-out."},
        202: {"description": "Still running after 60 s: the job, to poll."},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "image_url": {"type": "string"},
                            **{
                                name: {"type": "string"}
                                for name in RemoveBackgroundParams.model_fields
                            },
                        },
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["image_url"],
                        "properties": {"image_url": {"type": "string"}},
                    }
                },
            }
        }
    },
)
async def remove_background(
    request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> Response:
    """Send `file` (multipart) or `image_url` (form or JSON) plus the job's options."""
    owner = principal.user_id
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            fields: dict[str, Any] = json.loads(await request.body())
        except ValueError:
            raise MalformedForm("the body is not valid JSON") from None
        if not isinstance(fields, dict) or not fields.get("image_url"):
            raise MalformedForm("send `image_url` in the JSON body", field="image_url")
        params = _params(fields)
        upload = await fetch_as_upload(runtime, owner, str(fields["image_url"]))
    else:
        form = StreamingForm(request)
        if await form.start_file():
            upload = await upload_from_form(runtime, owner, form)
            params = _params(form.fields)
        else:
            url = form.fields.get("image_url")
            if not url:
                raise MalformedForm("send a `file` or an `image_url`", field="file")
            params = _params(form.fields)
            upload = await fetch_as_upload(runtime, owner, url)
    async with publishing(runtime.db, runtime.bus) as session:
        service = JobService(
            session,
            runtime.catalog,
            runtime.engines,
            max_attempts=runtime.settings.worker.max_attempts,
            prices=runtime.settings.credits,
        )
        submitted = await service.submit(
            owner, Submission(kind="remove_background", upload_ids=[upload.id], params=params)
        )
    job_id = submitted.job.id
    if runtime.queue is not None:
        await runtime.queue.enqueue(job_id)
    await wait_until_final(runtime, job_id, SYNC_WAIT_S)
    job = await load_job_out(runtime, str(request.base_url), job_id, owner)
    headers = {"X-Job-Id": job_id}
    if job.status == "succeeded" and job.outputs:
        output = job.outputs[0]
        async with runtime.db.read_session() as session:
            artifact = await ArtifactRepository(session).owned(output.id, owner)
        assert artifact is not None
        data = await runtime.store.get_bytes(artifact.storage_key)
        headers["X-Engine"] = artifact.engine or ""
        return Response(data, media_type=artifact.content_type, headers=headers)
    if job.error is not None:
        error = PictorError(job.error.message, code=job.error.code)
        status = status_for_code(error.code)
        return JSONResponse({"error": error.to_dict(), "job_id": job_id}, status, headers=headers)
    headers["Location"] = f"/v1/jobs/{job_id}"
    return JSONResponse(job.model_dump(mode="json"), status_code=202, headers=headers)
