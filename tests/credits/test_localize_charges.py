"""A localize job pays only for the languages it made, at the configured price per
language (or its batch's discounted share): reserved for every target at submit, the
failed ones released at the end, and its result says what was charged."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tests.batches.support import create, follow_to_end, items
from tests.conftest import (
    BACKENDS,
    POSTGRES_SERVER,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
)
from tests.credits.support import balance, entries, funded_user
from tests.generate.fakes import Reply, gemini_error
from tests.localize.localize_fakes import LocalizeGemini
from tests.localize.test_localize_api import (  # noqa: F401 - fixtures
    fake,
    fifteen_languages,
    gemini,
    localize,
    upload,
)

from pictor.api.app import create_app
from pictor.credits import audit, ledger
from pictor.localization.catalog import load_catalog
from pictor.runtime import Runtime, build_runtime

PER_LANGUAGE = 5  # not the built-in 3: the charge must follow the configured price


@pytest.fixture(scope="module", params=BACKENDS)
async def priced_runtime(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    gemini: LocalizeGemini,  # noqa: F811
) -> AsyncIterator[Runtime]:
    db_name = await create_postgres_database() if request.param == "postgresql" else None
    settings = make_settings(
        tmp_path_factory.mktemp(f"pictor-credits-localize-{request.param}"),
        f"{POSTGRES_SERVER}/{db_name}" if db_name else None,
        providers={
            "gemini_api_key": LocalizeGemini.key,
            "gemini_base_url": gemini.url,
            "request_timeout_s": 10,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
        },
        credits={"prices": {"localize": PER_LANGUAGE}},
    )
    runtime = build_runtime(settings)
    await runtime.start()
    yield runtime
    await runtime.stop()
    if db_name:
        await drop_postgres_database(db_name)


@pytest.fixture
async def priced_client(priced_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=priced_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as client:
        yield client


async def test_three_of_fifteen_failing_pays_for_twelve_at_the_configured_price(
    priced_client: httpx.AsyncClient,
    priced_runtime: Runtime,
    fake: LocalizeGemini,  # noqa: F811
) -> None:
    user = await funded_user(priced_runtime, 100)
    languages = fifteen_languages()
    catalog = load_catalog()
    names = [catalog.language(language).english_name for language in languages[:3]]
    for name in names:
        fake.fail[name] = Reply(400, gemini_error(400, "Bad image", "INVALID_ARGUMENT"))

    response = await localize(priced_client, user, {"target_languages": languages})

    job = response.json()
    assert job["status"] == "succeeded", job
    assert job["result"]["succeeded"] == 12
    assert job["cost"] == 12 * PER_LANGUAGE
    assert job["result"]["cost_per_language"] == PER_LANGUAGE
    assert job["result"]["charge"] == 12 * PER_LANGUAGE
    assert await balance(priced_runtime, user.id) == ledger.Balance(100 - 12 * PER_LANGUAGE, 0)
    mine = [
        (r["entry"], r["amount"], r["reserved_delta"])
        for r in await entries(priced_runtime, user.id)
        if r["cause_id"] == job["id"]
    ]
    assert mine == [
        ("reserve", -15 * PER_LANGUAGE, 15 * PER_LANGUAGE),
        ("charge", 0, -12 * PER_LANGUAGE),
        ("release", 3 * PER_LANGUAGE, -3 * PER_LANGUAGE),
    ]
    assert await priced_runtime.db.read(audit.check) == []


async def test_a_localize_batch_item_reports_the_discounted_share_it_was_charged(
    priced_client: httpx.AsyncClient,
    priced_runtime: Runtime,
    fake: LocalizeGemini,  # noqa: F811
) -> None:
    user = await funded_user(priced_runtime, 100)
    fake.fail["German"] = Reply(400, gemini_error(400, "Bad image", "INVALID_ARGUMENT"))
    item = {
        "kind": "localize",
        "input": {"upload_id": await upload(priced_client, user)},
        "params": {"target_languages": ["japanese", "german", "french"]},
    }
    batch = await create(priced_client, user, {"items": [item]})
    assert priced_runtime.settings.batches.discount == 0.5
    # 3 * 5 listed, half off rounded up: 8 reserved; 2 of 3 made: 8 * 2 // 3 = 5 charged.
    assert batch["total_cost"] == 8
    (listed,) = await items(priced_client, user, batch["id"])

    job = await follow_to_end(priced_client, user, listed["job_id"])

    assert job["status"] == "succeeded", job
    assert job["result"]["charged_languages"] == ["japanese", "french"]
    assert job["result"]["charge"] == 5 and job["cost"] == 5
    assert job["result"]["cost_per_language"] == pytest.approx(8 / 3, abs=0.005)
    assert await balance(priced_runtime, user.id) == ledger.Balance(100 - 5, 0)
    assert await priced_runtime.db.read(audit.check) == []


async def test_a_localize_job_beyond_the_balance_is_refused(
    priced_client: httpx.AsyncClient,
    priced_runtime: Runtime,
    fake: LocalizeGemini,  # noqa: F811
) -> None:
    user = await funded_user(priced_runtime, 2 * PER_LANGUAGE)
    response = await localize(
        priced_client, user, {"target_languages": ["japanese", "german", "french"]}
    )
    assert response.status_code == 402
    assert response.json()["error"]["details"] == {
        "required": 3 * PER_LANGUAGE,
        "available": 2 * PER_LANGUAGE,
    }
    listed = await priced_client.get("/v1/jobs", headers=user.headers)
    assert listed.json()["data"] == []
