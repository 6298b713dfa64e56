"""Helpers of the webhooks tests: settings, a clock the test moves, an independent
Standard Webhooks verifier, and job/secret shortcuts (the receiver on loopback is
tests/support/webhook_receiver.py)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import User, make_settings, new_user

from pictor.config import Settings
from pictor.db.base import utcnow
from pictor.runtime import Runtime
from pictor.webhooks.background import WebhookService


def hook_settings(data_dir: Path, database_url: str | None) -> Settings:
    """Loopback allowed (as an operator of a private deployment would), no polling."""
    return make_settings(
        data_dir,
        database_url,
        fetch={"allow": ["127.0.0.1"], "timeout_s": 5},
        webhooks={"poll_interval_s": 0, "progress_interval_s": 2},
    )


@dataclass
class Backend:
    name: str
    data_dir: Path
    database_url: str | None

    def settings(self) -> Settings:
        return hook_settings(self.data_dir, self.database_url)


class Clock:
    """The webhooks service's time: moved by the test, never by waiting."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def webhook_service(runtime: Runtime) -> WebhookService:
    service = runtime.services["webhooks"]
    assert isinstance(service, WebhookService)
    return service


def verify_standard_webhook(
    secret: str, headers: dict[str, str], body: bytes, now: int, tolerance_s: int = 300
) -> bool:
    """The receiver's check, written from the Standard Webhooks spec (not pictor's code):
    HMAC-SHA256 over ``{id}.{timestamp}.{body}`` with the base64 key after ``whsec_``,
    any of the space-separated ``v1,<base64>`` signatures may match."""
    key = base64.b64decode(secret.split("_", 1)[1])
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(timestamp)) > tolerance_s:
        return False
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    for signature in headers["webhook-signature"].split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


async def wait_recorded(runtime: Runtime) -> None:
    """Every event published so far has been turned into deliveries."""
    await asyncio.wait_for(webhook_service(runtime).settle(), 30)


async def user_with_secret(runtime: Runtime, api: httpx.AsyncClient) -> tuple[User, str]:
    user = await new_user(runtime)
    made = await api.post("/v1/webhooks/secret", headers=user.headers)
    assert made.status_code == 201, made.text
    secret: str = made.json()["secret"]
    return user, secret


async def finished_job(
    runtime: Runtime,
    api: httpx.AsyncClient,
    user: User,
    url: str,
    events: list[str] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """A test_flaky job with a webhook, run to its end, its events recorded."""
    body: dict[str, Any] = {"kind": "test_flaky", "params": {"fail_times": 0, **params}}
    body["webhook"] = url
    if events is not None:
        body["webhook_events"] = events
    made = await api.post("/v1/jobs", json=body, headers={**user.headers, "Prefer": "wait=30"})
    assert made.status_code == 201, made.text
    job: dict[str, Any] = made.json()
    assert job["status"] in ("succeeded", "failed"), job
    await wait_recorded(runtime)
    return job


async def deliveries(api: httpx.AsyncClient, user: User, **filters: str) -> list[dict[str, Any]]:
    listed = await api.get("/v1/webhooks/deliveries", params=filters, headers=user.headers)
    assert listed.status_code == 200, listed.text
    data: list[dict[str, Any]] = listed.json()["data"]
    return data
