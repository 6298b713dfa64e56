"""The Celery configuration a worker and an API node build from settings."""

from __future__ import annotations

import pytest

from pictor.config import Settings
from pictor.worker.app import celery_config
from pictor.worker.main import worker_argv


def _settings(**broker: object) -> Settings:
    return Settings(
        broker={"url": "redis://127.0.0.1:6379/13", **broker},
        worker={"timeouts": {"localize": 1000}},
    )


def test_the_settings_that_make_a_job_survive_a_worker_death() -> None:
    config = celery_config(_settings())
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert config["result_backend"] is None and config["task_serializer"] == "json"
    # Longest kind (localize, 1000 s) + 2 x 30 s margin + 60 s lease margin.
    assert config["broker_transport_options"]["visibility_timeout"] == 1120
    assert (config["task_soft_time_limit"], config["task_time_limit"]) == (1030, 1060)


def test_a_time_limit_margin_longer_than_half_the_lease_margin_is_refused() -> None:
    with pytest.raises(ValueError, match="TIME_LIMIT_MARGIN"):
        celery_config(_settings(time_limit_margin_s=31))


def test_worker_flags_default_to_the_settings() -> None:
    settings = _settings(interactive_queue="i", batch_queue="b", pool="threads")
    argv = worker_argv(settings)
    assert "--queues=i,b" in argv and "--pool=threads" in argv
    assert f"--concurrency={settings.worker.concurrency}" in argv
    argv = worker_argv(settings, queues=["i"], concurrency=7, pool="solo")
    assert "--queues=i" in argv and "--concurrency=7" in argv and "--pool=solo" in argv
