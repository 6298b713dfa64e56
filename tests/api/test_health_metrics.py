"""/health, /ready, /metrics and request ids, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from tests.conftest import User
from tests.support.images import product_photo

from pictor.runtime import Runtime


async def scrape(client: httpx.AsyncClient) -> list[Sample]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return [s for family in text_string_to_metric_families(response.text) for s in family.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The value of the one series named ``name`` with these labels, 0 if absent."""
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


async def run_job(client: httpx.AsyncClient, user: User) -> dict[str, object]:
    files = {"file": ("photo.jpg", product_photo(), "image/jpeg")}
    upload = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert upload.status_code == 201, upload.text
    response = await client.post(
        "/v1/jobs",
        json={"kind": "remove_background", "input": {"upload_id": upload.json()["id"]}},
        headers={**user.headers, "Prefer": "wait=30"},
    )
    assert response.status_code == 201, response.text
    job: dict[str, object] = response.json()
    assert job["status"] == "succeeded", job
    return job


async def test_health_answers_without_authentication(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_every_component_and_engine(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    components = body["components"]
    for name in ("database", "storage", "queue"):
        assert components[name]["available"] is True, (name, components[name])
    assert components["database"]["detail"] == ("sqlite" if runtime.db.is_sqlite else "postgresql")
    assert "in-process" in components["queue"]["detail"]
    engines = body["engines"]
    assert engines["segment:classical"]["available"] is True
    assert engines["segment:onnx"] == {
        "available": False,
        "detail": "not configured (set PICTOR_SEGMENT_MODEL)",
    }


async def test_metrics_count_jobs_and_time_them(client: httpx.AsyncClient, user: User) -> None:
    before = await scrape(client)
    await run_job(client, user)
    after = await scrape(client)

    labels = {"kind": "remove_background", "status": "succeeded"}
    # Jobs other tests left behind may finish meanwhile, so at least one more, not exactly.
    assert value(after, "pictor_jobs_total", **labels) >= (
        value(before, "pictor_jobs_total", **labels) + 1
    )
    for histogram in ("pictor_job_queue_wait_seconds", "pictor_job_run_seconds"):
        count = value(after, f"{histogram}_count", kind="remove_background")
        assert count >= value(before, f"{histogram}_count", kind="remove_background") + 1
        assert value(after, f"{histogram}_bucket", kind="remove_background", le="+Inf") == count
        assert value(after, f"{histogram}_sum", kind="remove_background") > 0
    assert value(after, "pictor_jobs_by_status", **labels) >= (
        value(before, "pictor_jobs_by_status", **labels) + 1
    )


async def test_metrics_text_uses_the_documented_series_names(
    client: httpx.AsyncClient, user: User
) -> None:
    await run_job(client, user)
    text = (await client.get("/metrics")).text
    assert 'pictor_jobs_total{kind="remove_background",status="succeeded"}' in text
    assert "# TYPE pictor_job_queue_wait_seconds histogram" in text
    assert "# TYPE pictor_job_run_seconds histogram" in text
    assert "# TYPE pictor_jobs_by_status gauge" in text
    assert "# TYPE pictor_http_request_duration_seconds histogram" in text


async def test_http_metrics_are_labelled_by_route_template_never_by_id(
    client: httpx.AsyncClient, user: User
) -> None:
    job = await run_job(client, user)
    job_id = str(job["id"])
    got = await client.get(f"/v1/jobs/{job_id}", headers=user.headers)
    assert got.status_code == 200
    samples = await scrape(client)

    durations = [s for s in samples if s.name == "pictor_http_request_duration_seconds_count"]
    routes = {s.labels["route"] for s in durations}
    assert "/v1/jobs/{job_id}" in routes
    assert "/v1/jobs" in routes and "/v1/uploads" in routes
    assert (
        value(
            samples,
            "pictor_http_request_duration_seconds_count",
            method="GET",
            route="/v1/jobs/{job_id}",
            status_class="2xx",
        )
        >= 1
    )
    assert (
        value(samples, "pictor_http_requests_total", method="POST", route="/v1/jobs", status="201")
        >= 1
    )
    for sample in samples:
        assert all(job_id not in v for v in sample.labels.values()), sample


async def test_unknown_paths_share_one_route_label(client: httpx.AsyncClient) -> None:
    for path in ("/nope/1", "/nope/2", "/wp-admin.php"):
        assert (await client.get(path)).status_code == 404
    samples = await scrape(client)
    routes = {s.labels.get("route") for s in samples if s.name == "pictor_http_requests_total"}
    assert "unmatched" in routes
    assert not any(r and r.startswith(("/nope", "/wp-admin")) for r in routes)


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient, user: User) -> None:
    responses = [
        await client.get("/health"),
        await client.get("/ready"),
        await client.get("/metrics"),
        await client.get("/v1/me", headers=user.headers),
        await client.get("/v1/me"),  # 401
        await client.get("/v1/jobs/job_does_not_exist", headers=user.headers),  # 404
        await client.get("/no/such/path"),
    ]
    ids = [r.headers.get("X-Request-ID") for r in responses]
    assert all(ids), list(zip([str(r.url) for r in responses], ids, strict=True))
    assert len(set(ids)) == len(ids), "each request gets its own id"


async def test_an_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "trace-7f3a.01"})
    assert response.headers["X-Request-ID"] == "trace-7f3a.01"
    hostile = await client.get("/health", headers={"X-Request-ID": "evil id\twith spaces"})
    assert hostile.headers["X-Request-ID"] != "evil id\twith spaces"
    assert hostile.headers["X-Request-ID"].startswith("req_")
