"""Helpers of the webhooks tests: settings, a clock the test moves, a receiver on
loopback, an independent Standard Webhooks verifier, and job/secret shortcuts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
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


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class Receiver:
    """A webhook endpoint on loopback answering with the statuses it is given (then 200).

    Its path is unique, so deliveries left over by other tests (sent to a port that
    happens to be reused) are answered 404 and not counted."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self.path = f"/hook/{uuid.uuid4().hex}"
        self.base = ""
        self.app = FastAPI()
        self.app.post("/hook/{token}")(self.hook)

    @property
    def url(self) -> str:
        return self.base + self.path

    async def hook(self, token: str, request: Request) -> Response:
        if f"/hook/{token}" != self.path:
            return Response(status_code=404)
        self.received.append(Received(dict(request.headers), await request.body()))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def types(self) -> list[str]:
        return sorted(r.payload["type"] for r in self.received)


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
