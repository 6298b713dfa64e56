"""POST /v1/uploads with every file of the hostile corpus, and the ways a form can be wrong."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import User
from tests.images.corpus import CorpusCase, corpus_cases
from tests.support.images import product_photo

from pictor.accounts.service import AccountService
from pictor.artifacts.models import Artifact
from pictor.images import decode_image
from pictor.runtime import Runtime

CASES = corpus_cases()
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "bmp": "image/bmp"}


def stored_files(runtime: Runtime, user: User) -> list[Path]:
    """Every file (temp files included) under the user's folder of the blob root."""
    folder = runtime.settings.blob_root / user.id
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


async def artifact_rows(runtime: Runtime, user: User) -> int:
    async with runtime.db.read_session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Artifact).where(Artifact.owner_id == user.id)
        )
    return int(count or 0)


async def post_file(
    client: httpx.AsyncClient, user: User, data: bytes, filename: str, claimed_type: str
) -> httpx.Response:
    files = {"file": (filename, data, claimed_type)}
    return await client.post("/v1/uploads", files=files, headers=user.headers)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_corpus_file_gets_the_right_answer(
    case: CorpusCase, client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    response = await post_file(client, user, case.data, case.filename, case.claimed_type)
    if case.expected_code is None:
        assert response.status_code == 201, response.text
        body = response.json()
        # The answer comes from the decoded bytes, never from the name or claimed type.
        decoded = decode_image(case.data, runtime.image_limits)
        assert body["content_type"] == CONTENT_TYPES[decoded.format]
        assert (body["width"], body["height"]) == (decoded.width, decoded.height)
        assert body["size"] == len(case.data)
        assert body["sha256"] == hashlib.sha256(case.data).hexdigest()
        assert body["role"] == "upload" and body["id"].startswith("art_")
        assert len(stored_files(runtime, user)) == 1
        assert await artifact_rows(runtime, user) == 1
        return
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["code"] == case.expected_code, error
    expected_status = {"file_too_large": 413, "unsupported_format": 415}
    assert response.status_code == expected_status.get(case.expected_code, 422)
    assert stored_files(runtime, user) == [], "a refused upload must leave no blob behind"
    assert await artifact_rows(runtime, user) == 0


async def test_png_named_jpg_is_described_as_png(client: httpx.AsyncClient, user: User) -> None:
    [case] = [c for c in CASES if c.name == "png_named_jpg"]
    response = await post_file(client, user, case.data, "photo.jpg", "image/jpeg")
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "image/png"
    download = await client.get(response.json()["url"])
    assert download.headers["content-type"] == "image/png"
    assert download.content == case.data


async def test_exif_rotated_photo_reports_its_display_size(
    client: httpx.AsyncClient, user: User
) -> None:
    [case] = [c for c in CASES if c.name == "jpeg_exif_orientation_6"]
    response = await post_file(client, user, case.data, case.filename, case.claimed_type)
    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == (80, 120)


async def test_form_without_a_file_field_is_refused(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    files = {"image": ("photo.jpg", product_photo(), "image/jpeg")}
    response = await client.post(
        "/v1/uploads", data={"note": "hello"}, files=files, headers=user.headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_form" and error["field"] == "file"
    assert stored_files(runtime, user) == []


async def test_body_that_is_not_multipart_is_refused(client: httpx.AsyncClient, user: User) -> None:
    for content, content_type in [
        (product_photo(), "image/jpeg"),
        (b'{"file": "x"}', "application/json"),
        (b"file=x", "application/x-www-form-urlencoded"),
        (b"--x\r\n", "multipart/form-data"),  # no boundary parameter
    ]:
        response = await client.post(
            "/v1/uploads",
            content=content,
            headers={**user.headers, "Content-Type": content_type},
        )
        assert response.status_code == 422, (content_type, response.text)
        assert response.json()["error"]["code"] == "invalid_form"


async def test_oversized_upload_is_refused_while_it_is_still_arriving(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    boundary = "pictor-test-boundary"
    max_bytes = runtime.image_limits.max_bytes
    chunk = bytes(1 << 20)
    total_chunks = 3 * max_bytes // len(chunk)
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="huge.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode() + b"\x89PNG\r\n\x1a\n"
        for _ in range(total_chunks):
            sent.append(len(chunk))
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        "/v1/uploads",
        content=body(),
        headers={**user.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "file_too_large"
    # The server stopped reading soon after the limit, not at the end of the body.
    assert max_bytes < sum(sent) < max_bytes + 3 * len(chunk)
    assert len(sent) < total_chunks
    assert stored_files(runtime, user) == []
    assert await artifact_rows(runtime, user) == 0


async def test_upload_without_an_api_key_is_refused(client: httpx.AsyncClient) -> None:
    files = {"file": ("photo.jpg", product_photo(), "image/jpeg")}
    for headers in ({}, {"Authorization": "Bearer psk_not_a_real_key_at_all_123"}):
        response = await client.post("/v1/uploads", files=files, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_revoked_api_key_is_refused(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    async with runtime.db.session() as session:
        service = AccountService(session)
        key, secret = await service.create_key(user.id, "soon revoked")
    headers = {"Authorization": f"Bearer {secret}"}
    files = {"file": ("photo.jpg", product_photo(), "image/jpeg")}
    assert (await client.post("/v1/uploads", files=files, headers=headers)).status_code == 201
    async with runtime.db.session() as session:
        await AccountService(session).revoke_key(key.id)
    response = await client.post("/v1/uploads", files=files, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    # The user's other key still works.
    assert (await client.post("/v1/uploads", files=files, headers=user.headers)).status_code == 201
