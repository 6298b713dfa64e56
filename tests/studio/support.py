"""Studio test support: sessions, uploads, and waiting for a message to end."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from tests.conftest import User
from tests.support.images import product_photo

from pictor.runtime import Runtime
from pictor.studio.background import StudioService
from pictor.studio.repository import get_message
from pictor.studio.service import Studio


def studio(runtime: Runtime) -> Studio:
    service = runtime.services["studio"]
    assert isinstance(service, StudioService)
    return service.studio


async def upload_png(client: httpx.AsyncClient, user: User, data: bytes | None = None) -> str:
    files = {"file": ("photo.png", data or product_photo(fmt="PNG"), "image/png")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def new_session(client: httpx.AsyncClient, user: User, title: str = "") -> str:
    response = await client.post(
        "/v1/studio/sessions", json={"title": title} if title else None, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def send(
    client: httpx.AsyncClient,
    user: User,
    session_id: str,
    text: str,
    image_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Post a message; the assistant's message as the API answered it."""
    body: dict[str, Any] = {"text": text}
    if image_ids is not None:
        body["image_ids"] = image_ids
    response = await client.post(
        f"/v1/studio/sessions/{session_id}/messages", json=body, headers=user.headers
    )
    assert response.status_code == 201, response.text
    turn = response.json()
    assert turn["user_message"]["status"] == "done"
    assert turn["user_message"]["text"] == text
    return dict(turn["assistant_message"])


async def wait_until_ended(runtime: Runtime, session_id: str, message_id: str) -> None:
    """Wait for the message to leave ``processing`` (on the session's feed; the stored
    state is read after subscribing, so an end in between is not missed)."""
    feed = studio(runtime).feed

    async def ended() -> None:
        async with feed.subscribe(session_id) as live:
            stored = await runtime.db.read(lambda conn: get_message(conn, message_id))
            assert stored is not None
            if stored.status != "processing":
                return
            while True:
                change = await live.get()
                if change.id == message_id and change.status != "processing":
                    return

    await asyncio.wait_for(ended(), timeout=60)


async def finished(
    client: httpx.AsyncClient, runtime: Runtime, user: User, message: dict[str, Any]
) -> dict[str, Any]:
    """The message once it has ended, as the poll endpoint shows it."""
    session_id, message_id = message["session_id"], message["id"]
    await wait_until_ended(runtime, session_id, message_id)
    response = await client.get(
        f"/v1/studio/sessions/{session_id}/messages/{message_id}", headers=user.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
