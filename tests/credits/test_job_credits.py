"""Jobs and the ledger: a submission reserves its price in the insert's transaction,
every way a job ends settles it (charge on success, release otherwise), and nothing is
left held or lost. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import socket
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, update
from tests.conftest import User
from tests.credits.support import balance, entries, funded_user
from tests.support.gates import Gate
from tests.support.images import product_photo
from tests.support.plugins import FlakyParams

from pictor.credits import audit, ledger
from pictor.credits.settings import DEFAULT_PRICES, CreditsSettings
from pictor.db.base import utcnow
from pictor.jobs import transitions
from pictor.jobs.events import Event
from pictor.jobs.models import JobStatus
from pictor.jobs.records import JobRecord
from pictor.jobs.runner import Runner
from pictor.jobs.service import JobService, Submission, insert_submitted, new_job
from pictor.pipelines import localize
from pictor.pipelines.catalog import build_catalog
from pictor.pipelines.localize_params import LocalizeParams
from pictor.runtime import Runtime


async def create(
    client: httpx.AsyncClient, user: User, body: dict[str, Any], *, wait: int = 0, key: str = ""
) -> httpx.Response:
    headers = dict(user.headers)
    if wait:
        headers["Prefer"] = f"wait={wait}"
    if key:
        headers["Idempotency-Key"] = key
    return await client.post("/v1/jobs", json={"input": [], **body}, headers=headers)


async def follow(client: httpx.AsyncClient, user: User, job_id: str) -> Any:
    """The job once it ended (its SSE stream ends after the final event)."""
    async with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=user.headers) as resp:
        async for _ in resp.aiter_lines():
            pass
    return (await client.get(f"/v1/jobs/{job_id}", headers=user.headers)).json()


async def job_entries(runtime: Runtime, user: User, job_id: str) -> list[tuple[str, int, int]]:
    return [
        (r["entry"], r["amount"], r["reserved_delta"])
        for r in await entries(runtime, user.id)
        if r["cause_type"] == "job" and r["cause_id"] == job_id
    ]


async def sound(runtime: Runtime) -> None:
    async with runtime.db.read_session() as session:
        problems = await session.run_sync(lambda s: audit.check(s.connection()))
    assert problems == []


async def test_a_succeeded_job_is_charged_its_price(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 5)
    job = (await create(client, user, {"kind": "test_flaky", "params": {}}, wait=30)).json()
    assert job["status"] == "succeeded" and job["cost"] == 1
    assert await balance(runtime, user.id) == ledger.Balance(4, 0)
    assert await job_entries(runtime, user, job["id"]) == [("reserve", -1, 1), ("charge", 0, -1)]
    await sound(runtime)


async def test_a_running_job_holds_its_price_until_it_ends(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 3)
    async with Gate() as gate:
        response = await create(client, user, {"kind": "test_block", "params": {"port": gate.port}})
        assert response.status_code == 201
        held = await gate.arrival()
        assert await balance(runtime, user.id) == ledger.Balance(2, 1)
        await sound(runtime)
        await held.release()
        final = await follow(client, user, response.json()["id"])
    assert final["status"] == "succeeded"
    assert await balance(runtime, user.id) == ledger.Balance(2, 0)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"permanent": True}, "bad_test_input"),  # a permanent failure
        ({"fail_times": 99}, "transient_error"),  # transient until attempts run out
    ],
)
async def test_a_failed_job_gets_all_its_credits_back(
    client: httpx.AsyncClient, runtime: Runtime, params: dict[str, Any], code: str
) -> None:
    user = await funded_user(runtime, 1)
    job = (await create(client, user, {"kind": "test_flaky", "params": params}, wait=30)).json()
    assert job["status"] == "failed" and job["error"]["code"] == code
    assert await balance(runtime, user.id) == ledger.Balance(1, 0)
    assert await job_entries(runtime, user, job["id"]) == [("reserve", -1, 1), ("release", 1, -1)]
    await sound(runtime)


async def test_a_job_over_its_timeout_gets_its_credits_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 1)
    async with Gate() as gate:
        response = await create(client, user, {"kind": "test_slow", "params": {"port": gate.port}})
        held = await gate.arrival()
        final = await follow(client, user, response.json()["id"])
        await held.release()
    assert final["error"]["code"] == "job_timeout"
    assert await balance(runtime, user.id) == ledger.Balance(1, 0)
    await sound(runtime)


async def test_a_running_job_canceled_gets_its_credits_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 1)
    async with Gate() as gate:
        response = await create(client, user, {"kind": "test_steps", "params": {"port": gate.port}})
        job_id = response.json()["id"]
        step0 = await gate.arrival()
        cancel = await client.post(f"/v1/jobs/{job_id}/cancel", headers=user.headers)
        assert cancel.status_code == 200
        assert await balance(runtime, user.id) == ledger.Balance(0, 1), "held while it runs"
        await step0.release()
        final = await follow(client, user, job_id)
    assert final["status"] == "canceled"
    assert await balance(runtime, user.id) == ledger.Balance(1, 0)
    await sound(runtime)


async def _insert_job(runtime: Runtime, user: User, **columns: Any) -> JobRecord:
    """A test_flaky job inserted (and reserved) like a submission, then given
    ``columns`` in the same transaction, without ever being enqueued."""
    job = new_job(
        user.id,
        Submission(kind="test_flaky", upload_ids=[], params=FlakyParams()),
        runtime.catalog,
        runtime.engines,
        max_attempts=runtime.settings.worker.max_attempts,
    )
    jobs = transitions.JOBS

    def unit(conn: Connection) -> None:
        outbox: list[Event] = []
        assert insert_submitted(conn, job, outbox)
        conn.execute(update(jobs).where(jobs.c.id == job.id).values(**columns))

    await runtime.db.write(unit)
    return dataclasses.replace(job, **columns)


async def test_a_queued_job_canceled_gets_its_credits_back_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 1)
    # Not due for an hour: no worker can claim it before the cancel.
    job = await _insert_job(runtime, user, run_after=utcnow() + timedelta(hours=1))
    assert await balance(runtime, user.id) == ledger.Balance(0, 1)
    response = await client.post(f"/v1/jobs/{job.id}/cancel", headers=user.headers)
    assert response.json()["status"] == "canceled"
    assert await balance(runtime, user.id) == ledger.Balance(1, 0)
    assert await job_entries(runtime, user, job.id) == [("reserve", -1, 1), ("release", 1, -1)]
    await sound(runtime)


async def test_a_job_the_reconciler_fails_gets_its_credits_back(runtime: Runtime) -> None:
    user = await funded_user(runtime, 1)
    attempts = runtime.settings.worker.max_attempts
    job = await _insert_job(
        runtime,
        user,
        status=JobStatus.RUNNING,
        attempts=attempts,
        lease_expires_at=utcnow() - timedelta(seconds=1),
    )
    assert runtime.reconciler is not None
    await runtime.reconciler.run_once()
    async with runtime.db.read_session() as session:
        record = await session.run_sync(
            lambda s: transitions.job_with_outputs(s.connection(), job.id, None)
        )
    assert record is not None and record[0].error_code == "worker_lost"
    assert await balance(runtime, user.id) == ledger.Balance(1, 0)
    await sound(runtime)


async def test_without_credits_a_job_is_refused_with_402_and_nothing_is_written(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 0)
    before = await entries(runtime, user.id)
    response = await create(client, user, {"kind": "test_flaky", "params": {}})
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "insufficient_credits"
    assert error["details"] == {"required": 1, "available": 0}
    listed = await client.get("/v1/jobs", headers=user.headers)
    assert listed.json()["data"] == []
    assert await entries(runtime, user.id) == before
    assert await balance(runtime, user.id) == ledger.Balance(0, 0)


async def test_a_replayed_submission_reserves_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 2)
    body = {"kind": "test_flaky", "params": {}}
    first = await create(client, user, body, key="same-key", wait=30)
    again = await create(client, user, body, key="same-key")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert await balance(runtime, user.id) == ledger.Balance(1, 0)
    await sound(runtime)


async def test_the_orm_submission_path_reserves_too(runtime: Runtime) -> None:
    user = await funded_user(runtime, 0)
    before = await entries(runtime, user.id)
    sub = Submission(kind="test_flaky", upload_ids=[], params=FlakyParams())
    with pytest.raises(ledger.InsufficientCredits):
        async with runtime.db.session() as session:
            service = JobService(session, runtime.catalog, runtime.engines, max_attempts=1)
            await service.submit(user.id, sub)
    assert await entries(runtime, user.id) == before


async def test_the_sync_remove_background_route_is_refused_without_credits(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 0)
    response = await client.post(
        "/v1/remove-background",
        files={"file": ("photo.jpg", product_photo(), "image/jpeg")},
        headers=user.headers,
    )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credits"
    assert (await client.get("/v1/jobs", headers=user.headers)).json()["data"] == []


async def test_a_server_set_cost_is_reserved_instead_of_the_price(runtime: Runtime) -> None:
    user = await funded_user(runtime, 10)
    sub = Submission(kind="test_flaky", upload_ids=[], params=FlakyParams(), cost=7)
    job = new_job(user.id, sub, runtime.catalog, runtime.engines, max_attempts=1)
    await runtime.db.write(lambda conn: insert_submitted(conn, job, []))
    assert await balance(runtime, user.id) == ledger.Balance(3, 7)
    await runtime.db.write(
        lambda conn: conn.execute(
            update(transitions.JOBS)
            .where(transitions.JOBS.c.id == job.id)
            .values(status=JobStatus.CANCELED)
        )
    )
    await runtime.db.write(
        lambda conn: ledger.settle_outstanding(conn, user.id, 0, cause_type="job", cause_id=job.id)
    )
    await sound(runtime)


def _charged(cost: int, charge: int | None) -> int:
    job = SimpleNamespace(cost=cost)
    return Runner._charge(job, SimpleNamespace(charge=charge))  # type: ignore[arg-type]


def _localize_charge(cost: int, made: int, targets: int = 3) -> tuple[Any, Any]:
    """``ctx.charge`` and the result's ``cost_per_language`` of a localize job priced
    ``cost`` that made ``made`` of its ``targets``."""
    entries = [
        {"language": f"l{i}", "market": "m", "engine": "e", "status": "failed"}
        for i in range(targets)
    ]
    for entry in entries[:made]:
        entry["status"] = "succeeded"
    ctx = SimpleNamespace(cost=cost, charge=None, engine=None, result={})
    work = SimpleNamespace(entries=entries, errors=[None] * targets)
    localize.finish(ctx, work)  # type: ignore[arg-type]
    return ctx.charge, ctx.result["cost_per_language"]


def test_a_partial_charge_is_the_share_of_the_price_reserved() -> None:
    # Built-in 3 per language; two of three made: 6 of 9.
    assert _localize_charge(cost=9, made=2) == (6, 3)
    # Priced at 5 per language (an override): 10 of 15.
    assert _localize_charge(cost=15, made=2) == (10, 5)
    # A batch's half price, 8 for three: two of three made pay 5 (rounded down).
    assert _localize_charge(cost=8, made=2) == (5, 2.67)
    # The runner charges what the pipeline says, never more than reserved.
    assert _charged(cost=15, charge=10) == 10
    assert _charged(cost=15, charge=0) == 0
    assert _charged(cost=15, charge=99) == 15
    assert _charged(cost=15, charge=None) == 15


def test_prices_per_kind_and_units() -> None:
    credits = CreditsSettings()
    price = ledger.price_for
    assert price(credits, "remove_background", {}) == 1
    assert price(credits, "erase", {}) == 1
    assert price(credits, "remove_watermark", {}) == 1
    assert price(credits, "logo", {}) == 2
    assert price(credits, "generate", {"prompt": "a cat", "n": 3}) == 12
    assert price(credits, "edit", {"prompt": "warmer"}) == 4
    langs = LocalizeParams(target_languages=["japanese", "german"], engine="relayout")
    assert price(credits, "localize", langs) == 6
    overridden = CreditsSettings(prices={"generate": 5, "test_flaky": 2})
    assert price(overridden, "generate", {"prompt": "a cat", "n": 2}) == 10
    assert price(overridden, "remove_background", {}) == 1
    with pytest.raises(ValueError):
        price(credits, "test_flaky", {})  # no price in settings and no spec to fall back on


def test_a_built_in_kind_has_one_price_the_table_its_spec_reads() -> None:
    catalog = build_catalog()
    assert sorted(catalog.names()) == sorted(DEFAULT_PRICES)
    for kind, spec in catalog.items():
        assert (kind, spec.cost, spec.cost_for) == (kind, DEFAULT_PRICES[kind], None)
    assert ledger.price_for(CreditsSettings(), "logo", {}, spec=catalog.get("logo")) == 2


def test_prices_are_overridden_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from pictor.config import Settings

    monkeypatch.setenv("PICTOR_CREDITS_PRICES", '{"logo": 7}')
    monkeypatch.setenv("PICTOR_CREDITS_SIGNUP_GRANT", "50")
    settings = Settings()
    assert ledger.price_for(settings, "logo", {}) == 7
    assert settings.credits.signup_grant == 50


async def test_a_plugin_kind_keeps_its_declared_price_unless_overridden(runtime: Runtime) -> None:
    spec = runtime.catalog.get("test_flaky")
    assert ledger.price_for(runtime.settings, "test_flaky", FlakyParams(), spec=spec) == 1
    user = await funded_user(runtime, 10)
    sub = Submission(kind="test_flaky", upload_ids=[], params=FlakyParams())
    prices = CreditsSettings(prices={"test_flaky": 3})
    job = new_job(user.id, sub, runtime.catalog, runtime.engines, max_attempts=1, prices=prices)
    assert job.cost == 3


async def test_a_crashing_pipeline_gets_its_credits_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await funded_user(runtime, 1)
    with socket.socket() as sock:  # a port nobody listens on: the gate cannot be reached
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    job = (
        await create(client, user, {"kind": "test_block", "params": {"port": port}}, wait=30)
    ).json()
    assert job["status"] == "failed" and job["error"]["code"] == "internal_error"
    assert await balance(runtime, user.id) == ledger.Balance(1, 0)
    await sound(runtime)
