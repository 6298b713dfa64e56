"""Which bus a runtime gets from its settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from tests.conftest import make_settings

from pictor.jobs.events import LocalEventBus
from pictor.jobs.events_postgres import PostgresEventBus
from pictor.jobs.events_redis import RedisEventBus
from pictor.jobs.events_settings import build_event_bus


def test_embedded_mode_keeps_the_in_process_bus(tmp_path: Path) -> None:
    assert isinstance(build_event_bus(make_settings(tmp_path)), LocalEventBus)


def test_a_redis_broker_is_also_the_event_bus_unless_told_otherwise(tmp_path: Path) -> None:
    broker = {"url": "redis://10.0.0.5:6379/3"}
    bus = build_event_bus(make_settings(tmp_path, broker=broker, events={"channel": "x:y"}))
    assert isinstance(bus, RedisEventBus)
    assert (bus.url, bus.channel) == ("redis://10.0.0.5:6379/3", "x:y")
    own = make_settings(tmp_path, broker=broker, events={"url": "redis://events:6379/0"})
    bus = build_event_bus(own)
    assert isinstance(bus, RedisEventBus) and bus.url == "redis://events:6379/0"
    local = make_settings(tmp_path, broker=broker, events={"url": "local"})
    assert isinstance(build_event_bus(local), LocalEventBus)


AMQP = {"url": "amqp://guest:guest@127.0.0.1:5672//"}
PG = "postgresql://pictor@db:5432/pictor"


def test_a_rabbitmq_broker_on_postgresql_uses_listen_notify(tmp_path: Path) -> None:
    bus = build_event_bus(make_settings(tmp_path, PG, broker=AMQP))
    assert isinstance(bus, PostgresEventBus)
    assert bus.dsn == PG


def test_a_rabbitmq_broker_on_sqlite_keeps_events_local(tmp_path: Path) -> None:
    assert isinstance(build_event_bus(make_settings(tmp_path, broker=AMQP)), LocalEventBus)


def test_postgres_events_are_asked_for_by_name_or_url(tmp_path: Path) -> None:
    bus = build_event_bus(make_settings(tmp_path, PG, events={"url": "postgres"}))
    assert isinstance(bus, PostgresEventBus) and bus.dsn == PG
    other = "postgresql://events@db2:5432/pictor"
    bus = build_event_bus(make_settings(tmp_path, PG, events={"url": other}))
    assert isinstance(bus, PostgresEventBus) and bus.dsn == other
    with pytest.raises(ValueError, match="needs a PostgreSQL database"):
        build_event_bus(make_settings(tmp_path, events={"url": "postgres"}))


def test_an_events_url_that_is_not_redis_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="PICTOR_EVENTS_URL"):
        make_settings(tmp_path, events={"url": "amqp://guest@127.0.0.1//"})


def test_the_events_url_is_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pictor.config import Settings

    monkeypatch.setenv("PICTOR_EVENTS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PICTOR_EVENTS_CHANNEL", "pictor:events:prod")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.events.url == "redis://127.0.0.1:6379/0"
    assert settings.events.channel == "pictor:events:prod"
