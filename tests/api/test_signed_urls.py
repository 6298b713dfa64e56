"""Signed /files download links: the link is the permission, bound to path, owner and time."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from tests.conftest import User
from tests.support.images import product_photo

from pictor.runtime import Runtime
from pictor.storage.signing import UrlSigner

PHOTO = product_photo()


async def upload(client: httpx.AsyncClient, user: User, data: bytes = PHOTO) -> dict[str, str]:
    files = {"file": ("photo.jpg", data, "image/jpeg")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


async def get(client: httpx.AsyncClient, path: str, query: dict[str, str]) -> httpx.Response:
    return await client.get(f"{path}?{urlencode(query)}")


def assert_refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == code


async def test_signed_url_downloads_without_an_api_key(
    client: httpx.AsyncClient, user: User
) -> None:
    artifact = await upload(client, user)
    response = await client.get(artifact["url"])  # no Authorization header
    assert response.status_code == 200
    assert response.content == PHOTO
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"] == f'"{hashlib.sha256(PHOTO).hexdigest()}"'


async def test_tampered_signature_is_refused(client: httpx.AsyncClient, user: User) -> None:
    path, query = split((await upload(client, user))["url"])
    sig = query["sig"]
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (
        {**query, "sig": flipped},
        {**query, "sig": sig[:-2]},
        {**query, "sig": "ü" + sig[1:]},
        {k: v for k, v in query.items() if k != "sig"},
        {**query, "expires": str(int(query["expires"]) + 3600)},  # a longer life, same sig
    ):
        assert_refused(await get(client, path, bad), "invalid_signature")


async def test_signature_for_one_artifact_does_not_open_another(
    client: httpx.AsyncClient, user: User
) -> None:
    first = await upload(client, user)
    second = await upload(client, user, product_photo(200, 160))
    _, query = split(first["url"])
    second_path, _ = split(second["url"])
    assert_refused(await get(client, second_path, query), "invalid_signature")


async def test_signature_for_one_user_does_not_work_for_another(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    path, query = split((await upload(client, user))["url"])
    assert_refused(await get(client, path, {**query, "sub": other_user.id}), "invalid_signature")


async def test_signature_made_with_another_secret_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    path, _ = split((await upload(client, user))["url"])
    forger = UrlSigner("a-secret-the-server-does-not-have")
    query = forger.sign(path, subject=user.id, expires_at=int(time.time()) + 600)
    assert_refused(await client.get(f"{path}?{query}"), "invalid_signature")


async def test_expired_signed_url_is_refused(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    path, _ = split((await upload(client, user))["url"])
    now = int(time.time())
    query = runtime.signer.sign(path, subject=user.id, expires_at=now - 60, now=now - 600)
    assert_refused(await client.get(f"{path}?{query}"), "signature_expired")
    # A tampered expired link says "invalid", not "expired": nothing is told before the MAC.
    tampered = query.replace("sig=", "sig=x")
    assert_refused(await client.get(f"{path}?{tampered}"), "invalid_signature")


@pytest.mark.parametrize("artifact", ["someone_elses", "missing"])
async def test_valid_signature_for_an_artifact_the_subject_does_not_own_is_not_found(
    artifact: str,
    client: httpx.AsyncClient,
    user: User,
    other_user: User,
    runtime: Runtime,
) -> None:
    owned_by_user = (await upload(client, user))["id"]
    artifact_id = owned_by_user if artifact == "someone_elses" else "art_does_not_exist"
    path = f"/files/{artifact_id}"
    query = runtime.signer.sign(path, subject=other_user.id, expires_at=int(time.time()) + 600)
    response = await client.get(f"{path}?{query}")
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "artifact_not_found"
