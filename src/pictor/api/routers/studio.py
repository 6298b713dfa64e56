"""/v1/studio: the conversational studio (sessions of messages, each routed to a job)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from pictor.api.deps import PrincipalDep, RuntimeDep
from pictor.api.presenters import file_url
from pictor.errors import InvalidInput, TransientError
from pictor.runtime import Runtime
from pictor.studio.background import StudioService
from pictor.studio.repository import MessageRecord, SessionRecord
from pictor.studio.schemas import (
    MessageCreate,
    MessageError,
    MessageOut,
    MessageOutput,
    SessionCreate,
    SessionDetail,
    SessionOut,
    SessionPage,
    TurnOut,
)
from pictor.studio.service import Post, Studio
from pictor.studio.stream import follow_session

router = APIRouter(prefix="/v1/studio", tags=["studio"])


def studio_of(runtime: Runtime) -> Studio:
    service = runtime.services.get("studio")
    if not isinstance(service, StudioService):
        raise TransientError("the studio is not running", code="studio_unavailable")
    return service.studio


@dataclass(frozen=True)
class _File:
    id: str
    owner_id: str


def message_out(runtime: Runtime, base_url: str, m: MessageRecord) -> MessageOut:
    outputs = []
    for item in m.outputs:
        url, expires = file_url(runtime, base_url, _File(str(item["id"]), m.owner_id))
        outputs.append(
            MessageOutput(
                id=item["id"],
                content_type=item["content_type"],
                width=item.get("width"),
                height=item.get("height"),
                url=url,
                url_expires_at=expires,
            )
        )
    return MessageOut(
        id=m.id,
        session_id=m.session_id,
        role=m.role,
        status=m.status,
        text=m.text,
        image_ids=list(m.image_ids),
        reply=m.reply,
        intent=m.intent,
        params=m.params,
        prompt=m.prompt,
        engine=m.engine,
        confidence=m.confidence,
        job_id=m.job_id,
        reply_to=m.reply_to,
        output_ids=[o.id for o in outputs],
        outputs=outputs,
        error=(
            MessageError(code=m.error_code, message=m.error_message or "") if m.error_code else None
        ),
        seq=m.seq,
        created_at=m.created_at,
        updated_at=m.updated_at,
    )


def session_out(s: SessionRecord) -> SessionOut:
    return SessionOut(
        id=s.id,
        title=s.title,
        last_image_id=s.last_image_id,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


@router.post("/sessions", status_code=201, response_model=SessionOut, summary="Start a session")
async def create_session(
    runtime: RuntimeDep, principal: PrincipalDep, body: SessionCreate | None = None
) -> SessionOut:
    """An empty conversation; an untitled one takes its title from its first message."""
    title = body.title.strip() if body else ""
    return session_out(await studio_of(runtime).create_session(principal.user_id, title))


@router.get("/sessions", response_model=SessionPage, summary="List your sessions, newest first")
async def list_sessions(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SessionPage:
    rows = await studio_of(runtime).sessions(principal.user_id, cursor, limit + 1)
    page = rows[:limit]
    has_more = len(rows) > limit
    return SessionPage(
        data=[session_out(s) for s in page],
        has_more=has_more,
        next_cursor=page[-1].id if has_more else None,
    )


@router.get(
    "/sessions/{session_id}", response_model=SessionDetail, summary="Get a session and its messages"
)
async def get_session(
    session_id: str, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> SessionDetail:
    session, messages = await studio_of(runtime).session(principal.user_id, session_id)
    base = str(request.base_url)
    return SessionDetail(
        **session_out(session).model_dump(),
        messages=[message_out(runtime, base, m) for m in messages],
    )


@router.delete("/sessions/{session_id}", status_code=204, summary="Delete a session")
async def delete_session(session_id: str, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    """The session and its messages are gone for you; images and jobs stay in your gallery."""
    await studio_of(runtime).delete_session(principal.user_id, session_id)
    return Response(status_code=204)


@router.post(
    "/sessions/{session_id}/messages",
    status_code=201,
    response_model=TurnOut,
    summary="Send a message",
)
async def post_message(
    session_id: str,
    body: MessageCreate,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> TurnOut:
    """Stores your message and answers with the assistant's: `done` at once for a plain
    answer, else `processing` with the `job_id` it started (poll it, or follow the
    session's events); a message that cannot become a job is `failed` with a reason.
    The same `Idempotency-Key` again returns the first turn as it is now (200)."""
    studio = studio_of(runtime)
    if len(body.image_ids) > studio.settings.max_images:
        raise InvalidInput(
            f"a message takes at most {studio.settings.max_images} images", field="image_ids"
        )
    post = Post(body.text, list(body.image_ids), idempotency_key or None)
    turn = await studio.post_message(principal.user_id, session_id, post)
    if not turn.created:
        response.status_code = 200
    base = str(request.base_url)
    return TurnOut(
        user_message=message_out(runtime, base, turn.user),
        assistant_message=message_out(runtime, base, turn.assistant),
    )


@router.get(
    "/sessions/{session_id}/messages/{message_id}",
    response_model=MessageOut,
    summary="Get a message (poll it until it is done or failed)",
)
async def get_message(
    session_id: str,
    message_id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> MessageOut:
    message = await studio_of(runtime).message(principal.user_id, session_id, message_id)
    return message_out(runtime, str(request.base_url), message)


@router.get(
    "/sessions/{session_id}/events",
    summary="Follow a session (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def session_events(
    session_id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Each change of a message of the session as a `message` event (its `id` is the
    message's `seq`); with `Last-Event-ID`, the changes after it are replayed first.
    The stream stays open; a comment is sent every 15 s when nothing happens."""
    studio = studio_of(runtime)
    await studio.check_session(principal.user_id, session_id)
    after = _parse_last_event_id(last_event_id)
    base = str(request.base_url)

    async def stream() -> AsyncIterator[str]:
        async with studio.feed.subscribe(session_id) as live:
            # Sent once subscribed: a client that saw it misses no later change.
            yield "retry: 1000\n\n"
            async for message in follow_session(studio, session_id, live, after):
                if message is None:
                    yield ": keep-alive\n\n"
                    continue
                data = message_out(runtime, base, message).model_dump(mode="json")
                yield f"id: {message.seq}\nevent: message\ndata: {json.dumps(data)}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _parse_last_event_id(value: str | None) -> int:
    if value is None or value == "":
        return 0
    try:
        return max(0, int(value))
    except ValueError:
        raise InvalidInput("Last-Event-ID must be an event number", field="Last-Event-ID") from None
