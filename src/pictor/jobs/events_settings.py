"""Settings of the job event bus across nodes (``PICTOR_EVENTS_*``), and the choice
of a runtime's bus from them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, field_validator

if TYPE_CHECKING:
    from pictor.config import Settings
    from pictor.jobs.events import LocalEventBus
    from pictor.jobs.events_postgres import PostgresEventBus
    from pictor.jobs.events_redis import RedisEventBus

log = logging.getLogger("pictor.events")

#: ``PICTOR_EVENTS_URL=local``: the in-process bus even in distributed mode.
LOCAL = "local"
#: ``PICTOR_EVENTS_URL=postgres``: LISTEN/NOTIFY on the application's own database.
POSTGRES = "postgres"
_REDIS = ("redis://", "rediss://")
_POSTGRES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


class EventsSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="redis://host:6379/0 (Redis pub/sub), 'postgres' (LISTEN/NOTIFY on the"
        " database; or a postgresql:// URL), or 'local' (in-process only); unset: the broker"
        " URL when it is redis://, else LISTEN/NOTIFY when a broker is set and the database"
        " is PostgreSQL, else in-process.",
    )
    channel: str = Field(
        default="pictor:events",
        min_length=1,
        description="The Redis pub/sub channel every node publishes to and subscribes to.",
    )
    reconnect_max_s: float = Field(
        default=5.0, gt=0, le=300, description="Longest wait between two reconnect attempts."
    )
    health_check_s: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="An idle subscription is checked (PING) this often, so a dead"
        " connection is noticed.",
    )
    buffer: int = Field(
        default=10_000,
        ge=100,
        description="Events waiting to be published while Redis is unreachable; the oldest"
        " are dropped beyond it (they stay stored: streams read them back).",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value and value not in (LOCAL, POSTGRES) and not value.startswith(_REDIS + _POSTGRES):
            raise ValueError(
                "PICTOR_EVENTS_URL must be a redis:// or postgresql:// URL, 'postgres' or 'local'"
            )
        return value


def events_url(settings: Settings) -> str | None:
    """The Redis or PostgreSQL URL of the bus across nodes, or None for in-process."""
    url, broker = settings.events.url, settings.broker.url
    database = settings.database_url
    if url == LOCAL:
        return None
    if url == POSTGRES:
        if not database.startswith(_POSTGRES):
            raise ValueError("PICTOR_EVENTS_URL=postgres needs a PostgreSQL database")
        return database
    if url:
        return url
    if broker and broker.startswith(_REDIS):
        return broker
    if broker and database.startswith(_POSTGRES):
        return database
    return None


def build_event_bus(settings: Settings) -> LocalEventBus | RedisEventBus | PostgresEventBus:
    """The bus of a runtime: Redis pub/sub or PostgreSQL LISTEN/NOTIFY when one applies
    (see :func:`events_url`), else in-process."""
    from pictor.jobs.events import LocalEventBus

    url = events_url(settings)
    events = settings.events
    options: dict[str, Any] = {
        "channel": events.channel,
        "reconnect_max_s": events.reconnect_max_s,
        "health_check_s": events.health_check_s,
        "buffer": events.buffer,
    }
    if url is None:
        if settings.broker.url is not None:
            log.warning(
                "distributed mode without PICTOR_EVENTS_URL: live job events stay on the"
                " node that made them (streams elsewhere only replay stored events)"
            )
        return LocalEventBus()
    if url.startswith(_POSTGRES):
        from pictor.jobs.events_postgres import PostgresEventBus

        return PostgresEventBus(url, **options)
    from pictor.jobs.events_redis import RedisEventBus

    return RedisEventBus(url, **options)


async def start_bus(bus: object) -> None:
    """Connect a bus that needs it (a no-op for the in-process bus)."""
    start = getattr(bus, "start", None)
    if start is not None:
        await start()


async def stop_bus(bus: object) -> None:
    stop = getattr(bus, "stop", None)
    if stop is not None:
        await stop()
