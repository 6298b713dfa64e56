"""Observability: structured logs with request/job ids, Prometheus metrics, HTTP middleware.

Imports nothing of pictor but ``pictor.errors``, so every layer may use it.
"""

from pictor.observability.http import RequestContextMiddleware, route_template
from pictor.observability.logging import (
    JsonFormatter,
    RedactSecrets,
    bind_job,
    configure_logging,
    job_id_var,
    request_id_var,
)
from pictor.observability.metrics import Metrics

__all__ = [
    "JsonFormatter",
    "Metrics",
    "RedactSecrets",
    "RequestContextMiddleware",
    "bind_job",
    "configure_logging",
    "job_id_var",
    "request_id_var",
    "route_template",
]
