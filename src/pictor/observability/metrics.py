"""Prometheus metrics, each ``Metrics`` in its own registry.

Several apps live in one test process, so nothing here touches prometheus_client's global
registry. Names carry the ``pictor_`` namespace: ``pictor_jobs_total``,
``pictor_job_queue_wait_seconds``, ``pictor_job_run_seconds``,
``pictor_http_request_duration_seconds``, ``pictor_http_requests_total``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

logger = logging.getLogger("pictor.metrics")

#: Label values and current value of one gauge series, as returned by a gauge source.
GaugeSample = tuple[tuple[str, ...], float]
GaugeSourceFn = Callable[[], list[GaugeSample]]

# 1 ms to 10 min: a cache hit on a tiny image up to a slow provider call or a big batch.
JOB_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
)  # fmt: skip
# Requests are mostly sub-second; uploads and ``Prefer: wait`` stretch to a minute.
HTTP_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip

# Anything else a client sends as a method is folded into "OTHER": label values must
# not be chosen by clients, or a scanner can blow up the series count.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def status_class(status: int) -> str:
    """``404`` → ``"4xx"``."""
    return f"{status // 100}xx"


class _GaugeSource:
    """A collector asking a callback for the current values at scrape time."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], fn: GaugeSourceFn
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._labels = list(labels)
        self._fn = fn

    def describe(self) -> Iterable[Metric]:
        # Lets the registry check for name clashes without calling fn (no DB at import).
        return [GaugeMetricFamily(self._name, self._documentation, labels=self._labels)]

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(self._name, self._documentation, labels=self._labels)
        try:
            samples = self._fn()
        except Exception:
            # A broken source (database down) must not take the whole scrape with it.
            logger.exception("gauge source %s failed; omitted from this scrape", self._name)
            return []
        for label_values, value in samples:
            if len(label_values) != len(self._labels):
                logger.error(
                    "gauge source %s returned labels %r for label names %r; sample skipped",
                    self._name,
                    label_values,
                    self._labels,
                )
                continue
            family.add_metric([str(v) for v in label_values], float(value))
        return [family]


class Metrics:
    """pictor's metrics, registered in a private ``CollectorRegistry``."""

    def __init__(self, namespace: str = "pictor") -> None:
        self.namespace = namespace
        self.registry = CollectorRegistry()
        self.jobs_total = Counter(
            "jobs_total",
            "Jobs reaching a state, by kind and status.",
            ["kind", "status"],
            namespace=namespace,
            registry=self.registry,
        )
        self.job_queue_wait_seconds = Histogram(
            "job_queue_wait_seconds",
            "Time from submit to a worker claiming the job.",
            ["kind"],
            buckets=JOB_BUCKETS,
            namespace=namespace,
            registry=self.registry,
        )
        self.job_run_seconds = Histogram(
            "job_run_seconds",
            "Time a job's pipeline ran, summed over its attempts.",
            ["kind"],
            buckets=JOB_BUCKETS,
            namespace=namespace,
            registry=self.registry,
        )
        self.http_request_duration_seconds = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration until the response body ended, by route template.",
            ["method", "route", "status_class"],
            buckets=HTTP_BUCKETS,
            namespace=namespace,
            registry=self.registry,
        )
        self.http_requests_total = Counter(
            "http_requests_total",
            "HTTP requests, by route template and exact status.",
            ["method", "route", "status"],
            namespace=namespace,
            registry=self.registry,
        )

    def observe_http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one finished request; ``route`` must be a template, never a raw path."""
        method = method.upper()
        if method not in _KNOWN_METHODS:
            method = "OTHER"
        self.http_request_duration_seconds.labels(method, route, status_class(status)).observe(
            seconds
        )
        self.http_requests_total.labels(method, route, str(status)).inc()

    def add_gauge_source(
        self, name: str, documentation: str, labels: Sequence[str], fn: GaugeSourceFn
    ) -> None:
        """Expose ``{namespace}_{name}`` whose series ``fn`` returns at each scrape.

        ``fn`` is synchronous and returns ``[(label_values, value), ...]``. It runs on the
        thread that calls ``render``, so an async app should render in a worker thread.
        A duplicate name raises ``ValueError``.
        """
        full_name = f"{self.namespace}_{name}" if self.namespace else name
        if not _NAME.fullmatch(full_name):
            raise ValueError(f"invalid metric name {full_name!r}")
        for label in labels:
            if not _LABEL.fullmatch(label) or label.startswith("__"):
                raise ValueError(f"invalid label name {label!r}")
        self.registry.register(_GaugeSource(full_name, documentation, labels, fn))

    def render(self) -> tuple[bytes, str]:
        """The registry in Prometheus text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_PLAIN_0_0_4
