"""localize jobs end to end: POST /v1/jobs and /v1/localizations against a fake Gemini."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from tests.conftest import (
    BACKENDS,
    POSTGRES_SERVER,
    User,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    new_user,
)
from tests.generate.fakes import Reply, gemini_error
from tests.localize.localize_fakes import LocalizeGemini, colour_for, safety_block, solid_png

from pictor.api.app import create_app
from pictor.localization.catalog import load_catalog
from pictor.runtime import Runtime, build_runtime

WAIT = {"Prefer": "wait=60"}
AD = solid_png(400, 300, (230, 230, 230))


@pytest.fixture(scope="module")
async def gemini() -> AsyncIterator[LocalizeGemini]:
    fake = LocalizeGemini()
    async with fake.serve():
        yield fake


@pytest.fixture
def fake(gemini: LocalizeGemini) -> LocalizeGemini:
    gemini.reset()
    gemini.scale = 0.25  # 1K answers at 256 px keep 15 languages quick
    return gemini


@pytest.fixture(scope="module", params=BACKENDS)
async def loc_runtime(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    gemini: LocalizeGemini,
) -> AsyncIterator[Runtime]:
    db_name = await create_postgres_database() if request.param == "postgresql" else None
    settings = make_settings(
        tmp_path_factory.mktemp(f"pictor-localize-{request.param}"),
        f"{POSTGRES_SERVER}/{db_name}" if db_name else None,
        providers={
            "gemini_api_key": LocalizeGemini.key,
            "gemini_base_url": gemini.url,
            "request_timeout_s": 10,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
        },
    )
    runtime = build_runtime(settings)
    await runtime.start()
    yield runtime
    await runtime.stop()
    if db_name:
        await drop_postgres_database(db_name)


@pytest.fixture
async def loc_client(loc_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=loc_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as client:
        yield client


async def upload(client: httpx.AsyncClient, user: User, data: bytes = AD) -> str:
    files = {"file": ("ad.png", data, "image/png")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def localize(
    client: httpx.AsyncClient, user: User, params: dict[str, Any], data: bytes = AD
) -> httpx.Response:
    body = {"kind": "localize", "input": [{"upload_id": await upload(client, user, data)}]}
    return await client.post(
        "/v1/jobs", json={**body, "params": params}, headers={**user.headers, **WAIT}
    )


def fifteen_languages() -> list[str]:
    languages = sorted(load_catalog().languages)
    assert len(languages) >= 15, "the catalog ships at least 15 languages"
    return [language for language in languages if language != "english"][:15]


async def events_of(client: httpx.AsyncClient, user: User, job_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/jobs/{job_id}/events", headers=user.headers)
    events = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            event = json.loads(lines["data"])
            events.append({"type": event["type"], **event["data"]})
    return events


async def test_three_of_fifteen_failing_still_succeeds_and_charges_twelve(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    languages = fifteen_languages()
    catalog = load_catalog()
    failing = languages[:3]
    names = [catalog.language(language).english_name for language in failing]
    fake.fail[names[0]] = Reply(body=safety_block())
    fake.fail[names[1]] = Reply(400, gemini_error(400, "Bad image", "INVALID_ARGUMENT"))
    fake.fail[names[2]] = Reply(503, gemini_error(503, "Overloaded", "UNAVAILABLE"))

    response = await localize(loc_client, user, {"target_languages": languages})

    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert result["succeeded"] == 12 and result["charge"] == 36 and job["cost"] == 36
    assert sorted(result["charged_languages"]) == sorted(languages[3:])
    assert result["failed"] == [
        f"{language} ({catalog.language(language).default_market})" for language in failing
    ]
    by_language = {entry["language"]: entry for entry in result["languages"]}
    assert by_language[failing[0]]["error"]["code"] == "content_blocked"
    assert by_language[failing[1]]["error"]["code"] == "provider_error"
    assert by_language[failing[2]]["error"]["code"] == "provider_unavailable"
    for language in languages[3:]:
        entry = by_language[language]
        assert entry["status"] == "succeeded" and entry["error"] is None
        assert entry["engine"] == "gemini:gemini-2.5-flash-image"
        assert entry["processing_s"] > 0 and entry["watermark"]["found"] == []
    outputs = {output["id"]: output for output in job["outputs"]}
    assert len(outputs) == 24, "an image and a thumbnail per successful language"
    thumb = outputs[by_language[languages[5]]["thumbnail"]]
    assert thumb["content_type"] == "image/webp" and max(thumb["width"], thumb["height"]) <= 256


async def test_progress_events_name_each_language_as_it_runs_and_arrives(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    fake.fail["German"] = Reply(body=safety_block())
    response = await localize(loc_client, user, {"target_languages": ["japanese", "german"]})
    job = response.json()
    assert job["status"] == "succeeded"

    progress = [e for e in await events_of(loc_client, user, job["id"]) if e["type"] == "progress"]
    stages = [e["stage"] for e in progress]
    for stage in ("japanese: generating", "japanese: done", "german: generating", "german: failed"):
        assert stage in stages, stages
    done = next(e for e in progress if e["stage"] == "japanese: done")
    shared = {entry["language"]: entry for entry in done["result"]["languages"]}
    assert shared["japanese"]["status"] == "succeeded" and shared["japanese"]["output"]


async def test_all_languages_failing_fails_the_job_with_the_first_error(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    fake.fail["Japanese"] = Reply(body=safety_block())
    fake.fail["German"] = Reply(400, gemini_error(400, "Bad image", "INVALID_ARGUMENT"))
    job = (await localize(loc_client, user, {"target_languages": ["japanese", "german"]})).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "content_blocked"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"target_markets": ["japan", "atlantis"]}, "unknown market 'atlantis'; valid: "),
        ({"target_languages": ["klingon"]}, "unknown language 'klingon'; valid: "),
        ({"target_languages": ["german", "german"]}, "language 'german' is listed twice"),
        ({"target_markets": ["japan", "japan"]}, "market 'japan' is listed twice"),
        ({}, "give target_languages and/or target_markets"),
    ],
)
async def test_unknown_or_repeated_targets_are_refused_with_the_valid_ones(
    loc_client: httpx.AsyncClient,
    loc_runtime: Runtime,
    fake: LocalizeGemini,
    params: dict[str, Any],
    says: str,
) -> None:
    user = await new_user(loc_runtime)
    response = await localize(loc_client, user, params)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert says in message
    if "valid:" in says:
        valid = sorted(load_catalog().markets if "market" in says else load_catalog().languages)
        assert ", ".join(valid) in message
    assert fake.seen == []


async def test_a_market_gets_its_default_language_and_a_language_its_markets(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    params = {"target_languages": ["english"], "target_markets": ["uk", "usa", "germany"]}
    job = (await localize(loc_client, user, params)).json()
    assert job["status"] == "succeeded", job
    pairs = [(e["language"], e["market"]) for e in job["result"]["languages"]]
    assert pairs == [("english", "uk"), ("english", "usa"), ("german", "germany")]
    assert job["cost"] == 9


async def test_an_ad_at_4096_px_comes_back_at_4k(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    fake.scale = 1.0
    big = solid_png(4096, 2304, (20, 90, 160))
    params = {"target_languages": ["japanese"], "image_size": "4K", "aspect_ratio": "16:9"}
    job = (await localize(loc_client, user, params, big)).json()
    assert job["status"] == "succeeded", job
    [entry] = job["result"]["languages"]
    assert (entry["width"], entry["height"]) == (4096, 2304) and entry["warnings"] == []
    config = fake.seen[0].body["generationConfig"]["imageConfig"]
    assert config == {"aspectRatio": "16:9", "imageSize": "4K"}


async def test_the_archive_holds_each_market_by_name_and_a_manifest(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    fake.fail["German"] = Reply(body=safety_block())
    params = {"target_languages": ["japanese", "german", "french"]}
    job = (await localize(loc_client, user, params)).json()

    response = await loc_client.get(f"/v1/localizations/{job['id']}/archive", headers=user.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = sorted(archive.namelist())
    assert names == ["france-french.png", "japan-japanese.png", "manifest.json"]
    for name, language in (("japan-japanese.png", "Japanese"), ("france-french.png", "French")):
        image = Image.open(io.BytesIO(archive.read(name))).convert("RGB")
        assert image.getpixel((5, 5)) == colour_for(language), f"{name} is {language}'s file"
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["failed"] == ["german (germany)"]
    other = await new_user(loc_runtime)
    denied = await loc_client.get(f"/v1/localizations/{job['id']}/archive", headers=other.headers)
    assert denied.status_code == 404


async def test_post_localizations_takes_a_form_with_repeated_and_comma_fields(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    form = {
        "target_languages": ["japanese, german", "french"],  # repeated, one a comma list
        "brand_terms": '["Acme, Inc.", "ZoomMax"]',
        "preserve_people": "true",
        "aspect_ratio": "4:5",
        "translations": json.dumps({"Summer Sale": {"japanese": "サマーセール"}}),
    }
    response = await loc_client.post(
        "/v1/localizations",
        data=form,
        files={"file": ("ad.png", AD, "image/png")},
        headers={**user.headers, **WAIT},
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["kind"] == "localize" and job["status"] == "succeeded", job
    assert [e["language"] for e in job["result"]["languages"]] == ["japanese", "german", "french"]
    prompts = {LocalizeGemini.target_of(s.body): s.body["contents"][0]["parts"][0]["text"]
               for s in fake.seen}  # fmt: skip
    assert '"Acme, Inc.", "ZoomMax"' in prompts["German"]
    assert '"Summer Sale" → "サマーセール"' in prompts["Japanese"]
    assert "Summer Sale" not in prompts["German"]
    assert "Keep every person exactly as they are" in prompts["French"]
    first = job["outputs"][0]
    assert (await loc_client.get(first["url"])).status_code == 200, "signed URLs download"


async def test_post_localizations_refuses_an_unknown_market_and_keeps_no_upload(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    response = await loc_client.post(
        "/v1/localizations",
        data={"target_markets": "japan,narnia"},
        files={"file": ("ad.png", AD, "image/png")},
        headers=user.headers,
    )
    assert response.status_code == 422
    assert "unknown market 'narnia'; valid: " in response.json()["error"]["message"]
    jobs = await loc_client.get("/v1/jobs", headers=user.headers)
    assert jobs.json()["data"] == []


async def test_prompt_preview_is_the_prompt_the_engine_sends(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    query = {
        "target_language": "japanese",
        "aspect_ratio": "keep",
        "source_width": "400",
        "source_height": "300",
        "brand_terms": ["Acme"],
    }
    preview = await loc_client.get(
        "/v1/localization/prompt-preview", params=query, headers=user.headers
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["language"], body["market"]) == ("japanese", "japan")
    assert body["image_config"] == {"aspect_ratio": "4:3", "image_size": "1K"}
    assert [s["key"] for s in body["sections"]] == [
        "objective", "editing", "style", "camera", "culture", "output"
    ]  # fmt: skip

    params = {"target_languages": ["japanese"], "brand_terms": ["Acme"]}
    job = (await localize(loc_client, user, params)).json()
    assert job["status"] == "succeeded"
    assert fake.seen[0].body["contents"][0]["parts"][0]["text"] == body["text"]


async def test_prompt_preview_refuses_an_unknown_market(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime
) -> None:
    user = await new_user(loc_runtime)
    response = await loc_client.get(
        "/v1/localization/prompt-preview", params={"target_market": "mars"}, headers=user.headers
    )
    assert response.status_code == 422
    assert "valid: " in response.json()["error"]["message"]


async def test_without_a_gemini_key_the_default_engine_is_refused_naming_the_setting(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await new_user(runtime)
    response = await localize(client, user, {"target_languages": ["japanese"]})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "engine_unavailable" and error["field"] == "params.engine"
    assert "PICTOR_PROVIDERS_GEMINI_API_KEY" in error["message"] and "relayout" in error["message"]
