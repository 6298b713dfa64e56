"""Jobs whose input is ``{"image_url": ...}``: fetched under the SSRF guard, kept as an upload."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from tests.conftest import User, make_settings, new_user
from tests.support.images import product_photo

from pictor.api.app import create_app
from pictor.artifacts.models import Artifact
from pictor.runtime import Runtime, build_runtime

PHOTO = product_photo()
HTML = b"<!DOCTYPE html><html><body><h1>Not an image</h1></body></html>"


async def submit(client: httpx.AsyncClient, user: User, url: str) -> httpx.Response:
    return await client.post(
        "/v1/jobs",
        json={"kind": "remove_background", "input": {"image_url": url}},
        headers={**user.headers, "Prefer": "wait=30"},
    )


async def nothing_was_created(client: httpx.AsyncClient, runtime: Runtime, user: User) -> None:
    jobs = (await client.get("/v1/jobs", headers=user.headers)).json()
    assert jobs["data"] == []
    async with runtime.db.read_session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Artifact).where(Artifact.owner_id == user.id)
        )
    assert count == 0


# --- the default policy: public addresses only -----------------------------------------

PRIVATE_URLS = [
    "http://127.0.0.1/photo.jpg",
    "http://localhost:8000/photo.jpg",
    "http://[::1]/photo.jpg",
    "http://10.0.0.7/photo.jpg",
    "http://192.168.1.1/photo.jpg",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[::ffff:127.0.0.1]/photo.jpg",
    "http://0.0.0.0:8000/photo.jpg",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_private_and_metadata_urls_are_refused_and_make_no_job(
    url: str, client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    response = await submit(client, user, url)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "url_not_allowed"
    await nothing_was_created(client, runtime, user)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"image_url": "file:///etc/passwd"}, "input.image_url"),
        ([{"image_url": "file:///etc/passwd"}], "input.0.image_url"),
    ],
)
async def test_file_url_is_refused_with_the_field_named_and_makes_no_job(
    given: object, field: str, client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    response = await client.post(
        "/v1/jobs", json={"kind": "remove_background", "input": given}, headers=user.headers
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    # Refused by the request schema (an http(s) URL is required) before any fetch.
    assert error["code"] == "invalid_request"
    assert error["field"] == field, error
    assert "scheme" in error["message"]
    await nothing_was_created(client, runtime, user)


# --- an operator allow list and a real loopback server -------------------------------------


@dataclass
class PhotoServer:
    """A loopback HTTP server on ``host``; records the paths it was asked for."""

    host: str
    redirect_to: str = ""
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_address[1]}"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                routes = {
                    "/photo.jpg": (200, "image/jpeg", PHOTO),
                    "/page.html": (200, "text/html; charset=utf-8", HTML),
                }
                if self.path == "/hop":
                    self.send_response(302)
                    self.send_header("Location", owner.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, content_type, body = routes.get(
                    self.path, (404, "text/plain", b"not found")
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[PhotoServer, PhotoServer]]:
    allowed, forbidden = PhotoServer("127.0.0.1"), PhotoServer("127.0.0.2")
    allowed.start()
    forbidden.start()
    allowed.redirect_to = f"{forbidden.base}/photo.jpg"
    yield allowed, forbidden
    allowed.stop()
    forbidden.stop()


@pytest.fixture(scope="module")
async def allow_runtime(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    """SQLite runtime whose operator lets URL fetches reach 127.0.0.1 (only)."""
    data_dir: Path = tmp_path_factory.mktemp("pictor-fetch-allow")
    rt = build_runtime(make_settings(data_dir, fetch={"allow": ["127.0.0.1/32"]}))
    await rt.start()
    yield rt
    await rt.stop()


@pytest.fixture(scope="module")
def allow_app(allow_runtime: Runtime) -> FastAPI:
    return create_app(runtime=allow_runtime)


@pytest.fixture
async def allow_client(allow_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=allow_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as c:
        yield c


async def test_allowed_url_is_fetched_and_recorded_as_the_jobs_input(
    servers: tuple[PhotoServer, PhotoServer],
    allow_client: httpx.AsyncClient,
    allow_runtime: Runtime,
) -> None:
    allowed, _ = servers
    user = await new_user(allow_runtime)
    url = f"{allowed.base}/photo.jpg"
    response = await submit(allow_client, user, url)
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    [source] = job["input"]
    upload = await allow_client.get(f"/v1/artifacts/{source['upload_id']}", headers=user.headers)
    assert upload.status_code == 200
    assert upload.json()["meta"]["source_url"] == url
    assert upload.json()["content_type"] == "image/jpeg"
    assert (upload.json()["width"], upload.json()["height"]) == (320, 240)
    assert "/photo.jpg" in allowed.requests


async def test_url_answering_404_is_refused_as_a_failed_fetch(
    servers: tuple[PhotoServer, PhotoServer],
    allow_client: httpx.AsyncClient,
    allow_runtime: Runtime,
) -> None:
    allowed, _ = servers
    user = await new_user(allow_runtime)
    response = await submit(allow_client, user, f"{allowed.base}/missing.jpg")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "url_fetch_failed"
    assert error["details"]["status"] == 404
    await nothing_was_created(allow_client, allow_runtime, user)


async def test_url_serving_html_is_refused_as_unsupported(
    servers: tuple[PhotoServer, PhotoServer],
    allow_client: httpx.AsyncClient,
    allow_runtime: Runtime,
) -> None:
    allowed, _ = servers
    user = await new_user(allow_runtime)
    response = await submit(allow_client, user, f"{allowed.base}/page.html")
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_format"
    await nothing_was_created(allow_client, allow_runtime, user)
    assert not list((allow_runtime.settings.blob_root / user.id).rglob("*.*"))


async def test_redirect_from_an_allowed_host_to_another_address_is_refused(
    servers: tuple[PhotoServer, PhotoServer],
    allow_client: httpx.AsyncClient,
    allow_runtime: Runtime,
) -> None:
    allowed, forbidden = servers
    user = await new_user(allow_runtime)
    direct = await submit(allow_client, user, f"{forbidden.base}/photo.jpg")
    assert direct.status_code == 422
    assert direct.json()["error"]["code"] == "url_not_allowed"
    response = await submit(allow_client, user, f"{allowed.base}/hop")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "url_not_allowed"
    assert "/hop" in allowed.requests
    assert forbidden.requests == [], "the refused address must never be contacted"
    await nothing_was_created(allow_client, allow_runtime, user)
