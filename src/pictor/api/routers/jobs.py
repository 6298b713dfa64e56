"""/v1/jobs: create (one endpoint for every kind), read, list, cancel, follow."""

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Annotated, Any, Union

from fastapi import APIRouter, Body, Header, Query, Request, Response, WebSocket
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect

from pictor.api.deps import (
    BEARER_SECURITY,
    PrincipalDep,
    RuntimeDep,
    request_principal,
    websocket_principal,
)
from pictor.api.inputs import check_webhook_url, resolve_inputs
from pictor.api.presenters import job_out
from pictor.api.streams import follow_job
from pictor.artifacts.repository import ArtifactRepository
from pictor.errors import InvalidInput, PictorError
from pictor.jobs.errors import JobNotFound
from pictor.jobs.events import publishing
from pictor.jobs.models import JobStatus
from pictor.jobs.records import JobRecord, OutputRecord
from pictor.jobs.repository import JobRepository
from pictor.jobs.schemas import JobCreateBase, JobOut, JobPage, job_create_models
from pictor.jobs.service import JobService, Submission, check_replay, request_hash
from pictor.jobs.transitions import by_idempotency_key, job_with_outputs, outputs_of
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry
from pictor.runtime import Runtime
from pictor.webhooks.service import accept_webhook_url

MAX_WAIT_S = 60


def parse_prefer_wait(prefer: str | None) -> float | None:
    """``Prefer: wait=N`` (RFC 7240) → N seconds; ``wait`` alone means the maximum."""
    if not prefer:
        return None
    for part in prefer.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() != "wait":
            continue
        if not value:
            return float(MAX_WAIT_S)
        try:
            seconds = float(value.strip().strip('"'))
        except ValueError:
            raise InvalidInput("Prefer: wait=N takes a number of seconds", field="Prefer") from None
        if not 0 <= seconds <= MAX_WAIT_S:
            raise InvalidInput(f"Prefer: wait=N takes 0 to {MAX_WAIT_S} seconds", field="Prefer")
        return seconds
    return None


async def load_job_out(runtime: Runtime, base_url: str, job_id: str, owner_id: str) -> JobOut:
    found = await runtime.db.read(lambda conn: job_with_outputs(conn, job_id, owner_id))
    if found is None:
        raise JobNotFound(f"no job {job_id}")
    return job_out(runtime, base_url, *found)


async def job_outputs(runtime: Runtime, job_id: str) -> list[OutputRecord]:
    return await runtime.db.read(lambda conn: outputs_of(conn, job_id))


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """The model's JSON as pydantic writes it, without FastAPI validating it again."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")


async def wait_until_final(runtime: Runtime, job_id: str, seconds: float) -> None:
    async def final() -> None:
        async for event in follow_job(runtime, job_id):
            if event is not None and event.is_final:
                return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(final(), timeout=seconds)


async def submit_job(
    runtime: Runtime, principal_id: str, body: JobCreateBase, idempotency_key: str | None
) -> tuple[JobRecord, bool]:
    payload = body.model_dump(mode="json")
    sub = Submission(
        kind=payload["kind"],
        upload_ids=[],
        params=body.params,  # type: ignore[attr-defined]
        webhook_url=payload.get("webhook"),
        webhook_events=payload.get("webhook_events"),
        idempotency_key=idempotency_key,
        request_hash=request_hash(payload) if idempotency_key else None,
    )
    if idempotency_key:
        existing = await runtime.db.read(
            lambda conn: by_idempotency_key(conn, principal_id, idempotency_key)
        )
        if check_replay(existing, sub) is not None:
            assert existing is not None
            return existing, False
    if sub.webhook_url:
        await check_webhook_url(runtime, sub.webhook_url)
        await accept_webhook_url(runtime.db, principal_id, sub.webhook_url)
    upload_ids = await resolve_inputs(runtime, principal_id, body.input_list())
    sub = Submission(**{**sub.__dict__, "upload_ids": upload_ids})
    submitted = await runtime.submit_job(principal_id, sub)
    if submitted.created and runtime.queue is not None:
        job = submitted.job
        await runtime.queue.enqueue(job.id, kind=job.kind, attempts=job.attempts)
    return submitted.job, submitted.created


def build_router(catalog: Registry[PipelineSpec]) -> APIRouter:
    router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
    models = job_create_models(catalog)
    create_union: Any = (
        Annotated[Union[tuple(models)], Field(discriminator="kind")]  # noqa: UP007
        if len(models) > 1
        else models[0]
    )

    @router.post(
        "",
        status_code=201,
        response_model=JobOut,
        summary="Create a job",
        responses={402: {"description": "Not enough credits for its price (insufficient_credits)"}},
    )
    async def create_job(
        request: Request,
        response: Response,
        runtime: RuntimeDep,
        principal: PrincipalDep,
        body: Annotated[create_union, Body()],
        idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
        prefer: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Create a job of any kind. `Prefer: wait=N` holds the answer until it ends or N s pass."""
        wait = parse_prefer_wait(prefer)
        job, created = await submit_job(runtime, principal.user_id, body, idempotency_key)
        base = str(request.base_url)
        if wait:
            await wait_until_final(runtime, job.id, wait)
            out = await load_job_out(runtime, base, job.id, principal.user_id)
        else:
            # A job just created has no outputs yet; a replayed one was just read.
            outputs = [] if created else await job_outputs(runtime, job.id)
            out = job_out(runtime, base, job, outputs)
        reply = json_response(out, 201 if created else 200)
        if wait:
            reply.headers["Preference-Applied"] = f"wait={wait:g}"
        return reply

    @router.get("", response_model=JobPage, summary="List your jobs, newest first")
    async def list_jobs(
        request: Request,
        runtime: RuntimeDep,
        principal: PrincipalDep,
        kind: str | None = None,
        status: JobStatus | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> JobPage:
        async with runtime.db.read_session() as session:
            rows = await JobRepository(session).page(
                principal.user_id,
                kind=kind,
                status=status,
                created_after=created_after,
                created_before=created_before,
                cursor=cursor,
                limit=limit + 1,
            )
            page = rows[:limit]
            outputs = await ArtifactRepository(session).of_jobs([j.id for j in page])
        base = str(request.base_url)
        data = [
            job_out(
                runtime,
                base,
                JobRecord.from_orm(j),
                [OutputRecord.from_orm(a) for a in outputs.get(j.id, [])],
            )
            for j in page
        ]
        has_more = len(rows) > limit
        return JobPage(data=data, has_more=has_more, next_cursor=page[-1].id if has_more else None)

    @router.get(
        "/{job_id}",
        response_model=JobOut,
        summary="Get a job",
        openapi_extra=BEARER_SECURITY,
    )
    async def get_job(job_id: str, request: Request) -> Response:
        # The most polled route: no dependencies to solve, no second validation.
        principal = await request_principal(request)
        runtime: Runtime = request.app.state.runtime
        job = await load_job_out(runtime, str(request.base_url), job_id, principal.user_id)
        return json_response(job)

    @router.post("/{job_id}/cancel", response_model=JobOut, summary="Cancel a job")
    async def cancel_job(
        job_id: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
    ) -> JobOut:
        """A queued job ends at once; a running one stops at its next progress point."""
        async with publishing(runtime.db, runtime.bus) as session:
            await JobService(session, runtime.catalog, runtime.engines, max_attempts=1).cancel(
                job_id, principal.user_id
            )
        return await load_job_out(runtime, str(request.base_url), job_id, principal.user_id)

    @router.get(
        "/{job_id}/events",
        summary="Follow a job (Server-Sent Events)",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def job_events(
        job_id: str,
        runtime: RuntimeDep,
        principal: PrincipalDep,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        """Replays events after `Last-Event-ID`, then streams live ones; ends after the last."""
        await _check_owner(runtime, job_id, principal.user_id)
        after = _parse_last_event_id(last_event_id)

        async def stream() -> Any:
            yield "retry: 1000\n\n"
            async for event in follow_job(runtime, job_id, after):
                if event is None:
                    yield ": keep-alive\n\n"
                    continue
                data = json.dumps(event.to_dict(), separators=(",", ":"))
                yield f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n"

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.websocket("/{job_id}/ws")
    async def job_ws(websocket: WebSocket, job_id: str) -> None:
        """Events as JSON; refusals close with 4401 (auth), 4404 (no such job), 4400 (bad input)."""
        runtime: Runtime = websocket.app.state.runtime
        # Accept first: a browser cannot read why a handshake failed, but it can read
        # the close code.
        await websocket.accept()
        try:
            principal = await websocket_principal(websocket)
            await _check_owner(runtime, job_id, principal.user_id)
            after = _parse_last_event_id(websocket.query_params.get("after"))
        except PictorError as exc:
            code = (
                4404
                if exc.code.endswith("not_found")
                else 4401
                if exc.code in ("invalid_api_key", "invalid_token")
                else 4400
            )
            await websocket.close(code=code, reason=exc.code)
            return
        try:
            async for event in follow_job(runtime, job_id, after):
                if event is not None:
                    await websocket.send_json(event.to_dict())
            await websocket.close(code=1000)
        except WebSocketDisconnect:
            return

    return router


def _parse_last_event_id(value: str | None) -> int:
    if value is None or value == "":
        return 0
    try:
        seq = int(value)
    except ValueError:
        raise InvalidInput("Last-Event-ID must be an event number", field="Last-Event-ID") from None
    return max(0, seq)


async def _check_owner(runtime: Runtime, job_id: str, owner_id: str) -> None:
    if await runtime.db.read(lambda conn: job_with_outputs(conn, job_id, owner_id)) is None:
        raise JobNotFound(f"no job {job_id}")
