"""/v1/images/edits streams each file under the upload limit, like /v1/uploads."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from tests.api.test_uploads_http import artifact_rows, stored_files
from tests.conftest import User
from tests.support.images import product_photo

from pictor.runtime import Runtime

BOUNDARY = "pictor-edits-boundary"
FORM = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def part(name: str, data: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    kind = "Content-Type: image/png\r\n" if filename else ""
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{kind}\r\n".encode()
    return head + data + b"\r\n"


END = f"--{BOUNDARY}--\r\n".encode()


async def test_an_oversized_image_is_refused_while_it_is_still_arriving(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    max_bytes = runtime.image_limits.max_bytes
    chunk = bytes(1 << 20)
    total_chunks = 3 * max_bytes // len(chunk)
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        # A good first image, then one far over the limit; no Content-Length.
        yield part("prompt", b"make it blue") + part("image[]", product_photo(), "a.jpg")
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image[]"; '
        yield (head + 'filename="huge.png"\r\n\r\n').encode() + b"\x89PNG\r\n\x1a\n"
        for _ in range(total_chunks):
            sent.append(len(chunk))
            yield chunk
        yield b"\r\n" + END

    response = await client.post(
        "/v1/images/edits", content=body(), headers={**user.headers, **FORM}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "file_too_large"
    assert max_bytes < sum(sent) < max_bytes + 3 * len(chunk), "stopped soon after the limit"
    # The first image, already stored, is removed too: a refused request keeps nothing.
    assert stored_files(runtime, user) == []
    assert await artifact_rows(runtime, user) == 0


async def test_a_declared_length_over_every_file_limit_is_refused_before_reading(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        sent.append(1)
        yield part("image", product_photo(), "a.jpg") + END

    declared = 17 * runtime.image_limits.max_bytes + 2_000_000
    response = await client.post(
        "/v1/images/edits",
        content=body(),
        headers={**user.headers, **FORM, "Content-Length": str(declared)},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "file_too_large"
    assert sent == [], "the body was not read"


async def test_fields_after_the_files_are_read_and_a_refused_edit_keeps_no_upload(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    # No provider is configured here: the prompt (sent last) must have been read for the
    # request to get as far as the provider check.
    photo = product_photo()
    content = part("image[]", photo, "a.jpg") + part("image[]", photo, "b.jpg")
    content += part("mask", photo, "m.jpg") + part("prompt", b"make it blue") + END
    response = await client.post(
        "/v1/images/edits", content=content, headers={**user.headers, **FORM}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "provider_not_configured"
    assert stored_files(runtime, user) == []
    assert await artifact_rows(runtime, user) == 0


async def test_bad_edit_forms_name_the_field_and_keep_nothing(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    photo = product_photo()
    cases = {
        "mask": part("image", photo, "a.jpg") + part("mask", photo) + part("mask", photo),
        "image": part("mask", photo, "m.jpg") + part("prompt", b"x"),
        "image[]": b"".join(part("image[]", photo, f"{i}.jpg") for i in range(18)),
    }
    for field, content in cases.items():
        response = await client.post(
            "/v1/images/edits", content=content + END, headers={**user.headers, **FORM}
        )
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["field"] == field
    assert stored_files(runtime, user) == []
    assert await artifact_rows(runtime, user) == 0


async def test_an_oversized_generations_body_is_refused_while_it_is_still_arriving(
    client: httpx.AsyncClient, user: User
) -> None:
    chunk = b" " * (1 << 16)
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield b'{"prompt": "a fox", "padding": "'
        for _ in range(200):  # 13 MB in all
            sent.append(len(chunk))
            yield chunk
        yield b'"}'

    response = await client.post(
        "/v1/images/generations",
        content=body(),
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "request_too_large"
    assert sum(sent) < 2_000_000, "the server stopped reading soon after 1 MB"


async def test_openapi_describes_the_openai_request_bodies(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    edits = paths["/v1/images/edits"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert {"image[]", "mask", "prompt"} <= set(edits["schema"]["properties"])
    generations = paths["/v1/images/generations"]["post"]["requestBody"]["content"]
    assert generations["application/json"]["schema"]["required"] == ["prompt"]
    assert "/v1/watermark-templates/{template_id}/export" in paths
