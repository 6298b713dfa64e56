from __future__ import annotations

import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from pictor.observability.metrics import Metrics


def _samples(metrics: Metrics) -> list[Sample]:
    payload, _ = metrics.render()
    return [s for fam in text_string_to_metric_families(payload.decode()) for s in fam.samples]


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    for sample in _samples(metrics):
        if sample.name == name and sample.labels == labels:
            return sample.value
    return None


def test_render_is_prometheus_text_with_labelled_histogram() -> None:
    metrics = Metrics()
    metrics.job_run_seconds.labels("remove_bg").observe(0.003)
    metrics.job_run_seconds.labels("remove_bg").observe(42.0)
    metrics.jobs_total.labels("remove_bg", "succeeded").inc()

    payload, content_type = metrics.render()
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(payload.decode())}
    assert families["pictor_job_run_seconds"].type == "histogram"
    assert families["pictor_jobs"].type == "counter"

    assert _value(metrics, "pictor_job_run_seconds_count", kind="remove_bg") == 2
    assert _value(metrics, "pictor_job_run_seconds_bucket", kind="remove_bg", le="0.005") == 1
    assert _value(metrics, "pictor_job_run_seconds_bucket", kind="remove_bg", le="60.0") == 2
    # The buckets reach from 1 ms to 10 minutes.
    assert _value(metrics, "pictor_job_run_seconds_bucket", kind="remove_bg", le="0.001") == 0
    assert _value(metrics, "pictor_job_run_seconds_bucket", kind="remove_bg", le="600.0") == 2
    assert _value(metrics, "pictor_jobs_total", kind="remove_bg", status="succeeded") == 1


def test_two_instances_do_not_share_a_registry() -> None:
    first, second = Metrics(), Metrics()
    first.jobs_total.labels("logo", "failed").inc(3)

    assert _value(first, "pictor_jobs_total", kind="logo", status="failed") == 3
    assert _value(second, "pictor_jobs_total", kind="logo", status="failed") is None


def test_http_requests_are_labelled_by_template_and_status_class() -> None:
    metrics = Metrics()
    metrics.observe_http_request("get", "/v1/jobs/{job_id}", 404, 0.02)
    metrics.observe_http_request("BREW", "/v1/jobs/{job_id}", 405, 0.001)

    assert (
        _value(
            metrics,
            "pictor_http_request_duration_seconds_count",
            method="GET",
            route="/v1/jobs/{job_id}",
            status_class="4xx",
        )
        == 1
    )
    assert (
        _value(
            metrics,
            "pictor_http_requests_total",
            method="OTHER",
            route="/v1/jobs/{job_id}",
            status="405",
        )
        == 1
    )


def test_gauge_source_is_read_at_scrape_time() -> None:
    metrics = Metrics()
    counts = {("remove_bg", "queued"): 3.0}
    calls: list[int] = []

    def jobs_by_state() -> list[tuple[tuple[str, ...], float]]:
        calls.append(1)
        return list(counts.items())

    metrics.add_gauge_source(
        "jobs_in_state", "Jobs by kind and status.", ["kind", "status"], jobs_by_state
    )
    assert calls == []  # registering does not query the source

    assert _value(metrics, "pictor_jobs_in_state", kind="remove_bg", status="queued") == 3
    counts[("remove_bg", "queued")] = 1.0
    counts[("logo", "running")] = 2.0
    assert _value(metrics, "pictor_jobs_in_state", kind="remove_bg", status="queued") == 1
    assert _value(metrics, "pictor_jobs_in_state", kind="logo", status="running") == 2
    families = {
        f.name: f.type for f in text_string_to_metric_families(metrics.render()[0].decode())
    }
    assert families["pictor_jobs_in_state"] == "gauge"


def test_failing_gauge_source_does_not_break_the_scrape(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    metrics.jobs_total.labels("logo", "succeeded").inc()

    def broken() -> list[tuple[tuple[str, ...], float]]:
        raise ConnectionError("database is down")

    metrics.add_gauge_source("jobs_by_state", "Jobs.", ["kind", "status"], broken)

    def one_bad_sample() -> list[tuple[tuple[str, ...], float]]:
        return [(("x", "y"), 1.0), (("z",), 2.0)]  # the first has too many label values

    metrics.add_gauge_source("ok", "Partly well-formed.", ["a"], one_bad_sample)

    with caplog.at_level(logging.WARNING, logger="pictor.metrics"):
        samples = _samples(metrics)

    names = {s.name for s in samples}
    assert "pictor_jobs_total" in names
    assert "pictor_jobs_by_state" not in names
    assert [s.labels for s in samples if s.name == "pictor_ok"] == [{"a": "z"}]
    assert any("jobs_by_state" in r.getMessage() for r in caplog.records)


def test_duplicate_or_invalid_gauge_names_are_refused() -> None:
    metrics = Metrics()
    metrics.add_gauge_source("jobs_in_state", "Jobs.", ["kind"], list)
    with pytest.raises(ValueError, match="pictor_jobs_in_state"):
        metrics.add_gauge_source("jobs_in_state", "Again.", ["kind"], list)
    # "pictor_jobs" is taken by the jobs_total counter's family name.
    with pytest.raises(ValueError, match="pictor_jobs"):
        metrics.add_gauge_source("jobs", "Clashes with the counter.", ["kind"], list)
    with pytest.raises(ValueError):
        metrics.add_gauge_source("bad name", "Spaces.", [], list)
    with pytest.raises(ValueError):
        metrics.add_gauge_source("fine", "Bad label.", ["1st"], list)
