"""The studio page and its files are served with the page's security headers (strict CSP:
nothing but pictor itself, plus the storage origin when downloads are presigned
redirects), the API is not, and nothing outside the page's folder is served."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from tests.conftest import make_settings

from pictor.api.app import create_app

STATIC = Path(__file__).resolve().parents[2] / "src/pictor/web/static"


def assert_page_headers(response: httpx.Response) -> str:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-cache"
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    return directives["img-src"]


async def test_the_page_and_every_file_it_ships_carry_the_headers(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/ui/js/app.js">' in page.text
    assert assert_page_headers(page) == "'self' blob: data:"

    files = [p for p in STATIC.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        response = await client.get(f"/ui/{path.relative_to(STATIC).as_posix()}")
        assert response.status_code == 200, path
        assert response.content == path.read_bytes()
        assert_page_headers(response)
    script = await client.get("/ui/js/app.js")
    assert script.headers["content-type"].startswith("text/javascript")


async def test_the_api_has_no_page_headers_and_nothing_outside_the_folder_is_served(
    client: httpx.AsyncClient,
) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert "content-security-policy" not in health.headers
    for path in ("/ui/../__init__.py", "/ui/%2e%2e/__init__.py", "/ui/missing.js"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert b"def install" not in response.content
    assert (await client.post("/")).status_code == 405


@pytest.mark.parametrize(
    ("storage", "origin"),
    [
        (
            {"presign": True, "endpoint_url": "http://minio.internal:9000/"},
            "http://minio.internal:9000",
        ),
        (
            {
                "presign": True,
                "endpoint_url": "http://minio:9000",
                "presign_endpoint_url": "https://files.example.com/base",
            },
            "https://files.example.com",
        ),
        ({"presign": True}, "https://*.amazonaws.com"),
    ],
)
async def test_presigned_downloads_add_the_storage_origin_to_img_src(
    tmp_path: Path, storage: dict[str, object], origin: str
) -> None:
    settings = make_settings(tmp_path, storage={"url": "s3://bucket", **storage})
    app: FastAPI = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://pictor.test"
    ) as client:
        page = await client.get("/")
    assert page.status_code == 200
    assert assert_page_headers(page) == f"'self' blob: data: {origin}"
