"""The session's event stream through a live uvicorn server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection
from tests.conftest import User
from tests.studio.support import new_session, send, studio, upload_png
from tests.support.server import live_server
from tests.support.sse import sse_events

from pictor.ids import new_id
from pictor.runtime import Runtime
from pictor.studio import repository as repo
from pictor.studio.stream import follow_session


@pytest.fixture
async def live(app: FastAPI) -> AsyncIterator[str]:
    async with live_server(app) as url:
        yield url


async def until_ended(
    events: AsyncIterator[dict[str, Any]], message_id: str
) -> list[dict[str, Any]]:
    seen = []
    async for event in events:
        seen.append(event)
        if event["data"]["id"] == message_id and event["data"]["status"] != "processing":
            return seen
    raise AssertionError(f"stream ended before {message_id} did: {seen}")


async def test_sse_shows_processing_then_done_and_a_reconnect_replays_what_came_after(
    live: str, user: User
) -> None:
    async with httpx.AsyncClient(base_url=live, headers=user.headers, timeout=60) as client:
        session_id = await new_session(client, user)
        upload_id = await upload_png(client, user)
        path = f"/v1/studio/sessions/{session_id}/events"
        async with client.stream("GET", path) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            # The first line is sent once the stream is subscribed: nothing after it is lost.
            assert await anext(lines) == "retry: 1000"
            posted = await client.post(
                f"/v1/studio/sessions/{session_id}/messages",
                json={"text": "remove the background", "image_ids": [upload_id]},
            )
            assert posted.status_code == 201, posted.text
            assistant_id = posted.json()["assistant_message"]["id"]
            seen = await until_ended(sse_events(lines), assistant_id)

        assert all(e["event"] == "message" for e in seen)
        seqs = [int(e["id"]) for e in seen]
        assert seqs == list(range(1, len(seqs) + 1)), "numbered in order, none missed"
        assert [e["data"]["seq"] for e in seen] == seqs
        user_changes = [e["data"] for e in seen if e["data"]["role"] == "user"]
        assert [m["status"] for m in user_changes] == ["done"]
        statuses = [e["data"]["status"] for e in seen if e["data"]["id"] == assistant_id]
        assert statuses[0] == "processing" and statuses[-1] == "done"
        assert "processing" not in statuses[statuses.index("done") :]
        linked = [
            e["data"] for e in seen if e["data"]["id"] == assistant_id and e["data"]["job_id"]
        ]
        assert linked, "the job id is sent while the message is processing or when done"
        last = seen[-1]["data"]
        assert last["outputs"] and last["outputs"][0]["url"].startswith(live)

        # Reconnecting after the first event replays the stored state of what changed since.
        headers = {"Last-Event-ID": seen[0]["id"]}
        async with client.stream("GET", path, headers=headers) as response:
            lines = response.aiter_lines()
            assert await anext(lines) == "retry: 1000"
            replay = await until_ended(sse_events(lines), assistant_id)
        assert [int(e["id"]) for e in replay] == [seqs[-1]]
        assert replay[0]["data"]["status"] == "done"

        # From the start, each message once, as it is now.
        async with client.stream("GET", path, headers={"Last-Event-ID": "0"}) as response:
            lines = response.aiter_lines()
            assert await anext(lines) == "retry: 1000"
            everything = await until_ended(sse_events(lines), assistant_id)
        assert [(e["data"]["role"], e["data"]["status"]) for e in everything] == [
            ("user", "done"),
            ("assistant", "done"),
        ]


async def test_a_bad_last_event_id_is_refused(live: str, user: User) -> None:
    async with httpx.AsyncClient(base_url=live, headers=user.headers) as client:
        session_id = await new_session(client, user)
        response = await client.get(
            f"/v1/studio/sessions/{session_id}/events", headers={"Last-Event-ID": "abc"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "Last-Event-ID"


async def test_a_change_made_by_another_process_reaches_the_stream_at_the_next_quiet_interval(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    answer = await send(client, user, session_id, "hello")
    target = studio(runtime)
    async with target.feed.subscribe(session_id) as live:
        stream = follow_session(target, session_id, live, answer["seq"], keepalive_s=0.05)
        assert await anext(stream) is None, "nothing happened: a keep-alive"

        # Another process stores a message; this process's feed never hears of it.
        def store(conn: Connection) -> str:
            values = {"session_id": session_id, "owner_id": user.id, "role": "user"}
            seq = repo.next_seq(conn, session_id)
            message_id = new_id("msg")
            repo.insert_message(
                conn, {**values, "id": message_id, "text": "hi", "status": "done", "seq": seq}
            )
            return message_id

        stored = await runtime.db.write(store)
        change = await anext(stream)
        assert change is not None and change.id == stored
        assert change.seq == answer["seq"] + 1
        await stream.aclose()
