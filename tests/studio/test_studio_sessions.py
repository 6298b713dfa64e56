"""Sessions and who may see them: another user's ids are always 404."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import update
from tests.conftest import User
from tests.studio.support import finished, new_session, send, upload_png

from pictor.artifacts.models import Artifact
from pictor.db.base import utcnow
from pictor.runtime import Runtime


async def test_sessions_are_listed_newest_first_page_by_page(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    made = [await new_session(client, user, title=f"s{i}") for i in range(5)]
    await new_session(client, other_user, title="not yours")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/studio/sessions", params=params, headers=user.headers)).json()
        seen += [s["id"] for s in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == made[::-1]


async def test_a_deleted_session_is_gone(client: httpx.AsyncClient, user: User) -> None:
    session_id = await new_session(client, user)
    await send(client, user, session_id, "hello")
    response = await client.delete(f"/v1/studio/sessions/{session_id}", headers=user.headers)
    assert response.status_code == 204
    for method, path in [
        ("GET", f"/v1/studio/sessions/{session_id}"),
        ("DELETE", f"/v1/studio/sessions/{session_id}"),
        ("GET", f"/v1/studio/sessions/{session_id}/events"),
    ]:
        response = await client.request(method, path, headers=user.headers)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "session_not_found"
    response = await client.post(
        f"/v1/studio/sessions/{session_id}/messages", json={"text": "hi"}, headers=user.headers
    )
    assert response.status_code == 404
    listed = (await client.get("/v1/studio/sessions", headers=user.headers)).json()
    assert session_id not in [s["id"] for s in listed["data"]]


async def test_another_user_gets_404_for_every_id_of_the_first(
    client: httpx.AsyncClient, runtime: Runtime, user: User, other_user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    answer = await finished(
        client,
        runtime,
        user,
        await send(client, user, session_id, "remove the background", [upload_id]),
    )
    [output_id] = answer["output_ids"]
    detail = (await client.get(f"/v1/studio/sessions/{session_id}", headers=user.headers)).json()
    message_ids = [m["id"] for m in detail["messages"]]

    them = other_user.headers
    for method, path in [
        ("GET", f"/v1/studio/sessions/{session_id}"),
        ("DELETE", f"/v1/studio/sessions/{session_id}"),
        ("GET", f"/v1/studio/sessions/{session_id}/events"),
        *[("GET", f"/v1/studio/sessions/{session_id}/messages/{m}") for m in message_ids],
    ]:
        response = await client.request(method, path, headers=them)
        assert response.status_code == 404, (method, path, response.text)
    response = await client.post(
        f"/v1/studio/sessions/{session_id}/messages", json={"text": "hello"}, headers=them
    )
    assert response.status_code == 404
    listed = (await client.get("/v1/studio/sessions", headers=them)).json()
    assert session_id not in [s["id"] for s in listed["data"]]

    # Their own session cannot take the first user's images (upload or output)...
    theirs = await new_session(client, other_user)
    for image_id in (upload_id, output_id):
        response = await client.post(
            f"/v1/studio/sessions/{theirs}/messages",
            json={"text": "remove the background", "image_ids": [image_id]},
            headers=them,
        )
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "image_not_found"
    # ...nor a message id of the first user's session through their own session.
    response = await client.get(
        f"/v1/studio/sessions/{theirs}/messages/{message_ids[0]}", headers=them
    )
    assert response.status_code == 404
    # Nothing was stored by the refused posts, and the first user's session is intact.
    assert (await client.get(f"/v1/studio/sessions/{theirs}", headers=them)).json()[
        "messages"
    ] == []
    still = (await client.get(f"/v1/studio/sessions/{session_id}", headers=user.headers)).json()
    assert [m["id"] for m in still["messages"]] == message_ids


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"text": "remove the background", "image_ids": ["art_doesnotexist"]},
            404,
            "image_not_found",
        ),
        ({"text": "remove the background", "image_ids": ["x" * 41]}, 422, "invalid_request"),
        ({"text": "remove the background", "image_ids": "art_1"}, 422, "invalid_request"),
        ({"text": ""}, 422, "invalid_request"),
        ({"text": " \n "}, 422, "invalid_request"),
        ({"text": "x" * 4001}, 422, "invalid_request"),
        ({"text": "hi", "owner_id": "usr_x"}, 422, "invalid_request"),
        ({"text": "hi", "status": "done"}, 422, "invalid_request"),
        ({"text": "hi", "image_ids": [f"art_{i}" for i in range(17)]}, 422, "invalid_input"),
    ],
)
async def test_bad_messages_are_refused_and_store_nothing(
    client: httpx.AsyncClient, user: User, body: dict[str, object], status: int, code: str
) -> None:
    session_id = await new_session(client, user)
    response = await client.post(
        f"/v1/studio/sessions/{session_id}/messages", json=body, headers=user.headers
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    detail = (await client.get(f"/v1/studio/sessions/{session_id}", headers=user.headers)).json()
    assert detail["messages"] == []


async def test_a_deleted_image_cannot_be_attached(
    client: httpx.AsyncClient, runtime: Runtime, user: User
) -> None:
    session_id = await new_session(client, user)
    upload_id = await upload_png(client, user)
    async with runtime.db.session() as db:
        await db.execute(
            update(Artifact).where(Artifact.id == upload_id).values(deleted_at=utcnow())
        )
    response = await client.post(
        f"/v1/studio/sessions/{session_id}/messages",
        json={"text": "remove the background", "image_ids": [upload_id]},
        headers=user.headers,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "image_not_found"


async def test_session_input_cannot_set_server_fields(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.post(
        "/v1/studio/sessions", json={"title": "x", "owner_id": "usr_x"}, headers=user.headers
    )
    assert response.status_code == 422
    response = await client.post(
        "/v1/studio/sessions", json={"title": "t" * 201}, headers=user.headers
    )
    assert response.status_code == 422


async def test_a_message_posted_again_with_its_idempotency_key_is_not_posted_twice(
    client: httpx.AsyncClient, user: User
) -> None:
    session_id = await new_session(client, user)
    path = f"/v1/studio/sessions/{session_id}/messages"
    headers = {**user.headers, "Idempotency-Key": "turn-1"}
    first, again = await asyncio.gather(
        client.post(path, json={"text": "hello"}, headers=headers),
        client.post(path, json={"text": "hello"}, headers=headers),
    )
    assert sorted([first.status_code, again.status_code]) == [200, 201]
    assert first.json()["user_message"]["id"] == again.json()["user_message"]["id"]
    assert first.json()["assistant_message"]["id"] == again.json()["assistant_message"]["id"]
    assert again.json()["assistant_message"]["reply_to"] == again.json()["user_message"]["id"]

    later = await client.post(path, json={"text": "hello"}, headers=headers)
    assert later.status_code == 200
    assert later.json()["assistant_message"]["status"] == "done"

    other = await client.post(path, json={"text": "something else"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    detail = (await client.get(f"/v1/studio/sessions/{session_id}", headers=user.headers)).json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
