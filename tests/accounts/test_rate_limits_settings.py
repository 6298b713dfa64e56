"""Where the sign-in limits are counted, chosen from settings alone."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from pictor.accounts.ratelimit import SlidingWindowLimiter, build_sign_in_limiters, rate_limit_url
from pictor.accounts.ratelimit_redis import RedisWindowLimiter
from pictor.config import Settings


def settings_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Settings:
    """Settings from these ``PICTOR_*`` variables only (none of the outer shell's, no
    ``.env`` of the checkout)."""
    for name in list(os.environ):
        if name.upper().startswith("PICTOR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(f"PICTOR_{name}", value)
    return Settings()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"AUTH_RATE_LIMIT_URL": "redis://limits:6379/2"}, "redis://limits:6379/2"),
        ({"BROKER_URL": "redis://broker:6379/0"}, "redis://broker:6379/0"),
        (
            {"BROKER_URL": "amqp://guest@rabbit//", "EVENTS_URL": "rediss://events:6380/1"},
            "rediss://events:6380/1",
        ),
        ({"BROKER_URL": "amqp://guest@rabbit//", "EVENTS_URL": "postgres"}, None),
        ({"BROKER_URL": "redis://broker:6379/0", "AUTH_RATE_LIMIT_URL": "local"}, None),
        # The events' Redis first, then the broker's.
        (
            {"EVENTS_URL": "redis://events:6379/0", "BROKER_URL": "redis://b:6379/0"},
            "redis://events:6379/0",
        ),
    ],
)
def test_the_redis_url_comes_from_the_auth_events_or_broker_settings(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    env: dict[str, str],
    expected: str | None,
) -> None:
    settings = settings_from_env(monkeypatch, tmp_path, **env)
    assert rate_limit_url(settings) == expected


def test_other_schemes_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="PICTOR_AUTH_RATE_LIMIT_URL"):
        settings_from_env(monkeypatch, tmp_path, AUTH_RATE_LIMIT_URL="memcached://x:11211")


async def test_embedded_mode_counts_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    limiters = build_sign_in_limiters(settings_from_env(monkeypatch, tmp_path))
    assert isinstance(limiters.login, SlidingWindowLimiter)
    assert isinstance(limiters.register, SlidingWindowLimiter)


async def test_a_redis_url_shares_the_limits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = settings_from_env(
        monkeypatch,
        tmp_path,
        BROKER_URL="redis://127.0.0.1:6379/7",
        AUTH_RATE_LIMIT_PREFIX="pictor:prod:ratelimit",
        AUTH_LOGIN_PER_MINUTE="7",
    )
    limiters = build_sign_in_limiters(settings)
    try:
        assert isinstance(limiters.login, RedisWindowLimiter)
        assert limiters.login.limit == 7
        assert limiters.login.windows.prefix == "pictor:prod:ratelimit"
    finally:
        await limiters.login.aclose()


def test_distributed_mode_without_redis_warns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_from_env(monkeypatch, tmp_path, BROKER_URL="amqp://guest@rabbit//")
    with caplog.at_level(logging.WARNING, logger="pictor.auth"):
        limiters = build_sign_in_limiters(settings)
    assert isinstance(limiters.login, SlidingWindowLimiter)
    assert any("PICTOR_AUTH_RATE_LIMIT_URL" in r.getMessage() for r in caplog.records)
