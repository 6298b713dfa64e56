"""A webhook endpoint on loopback that records what pictor POSTs to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from tests.support.server import live_server


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class Receiver:
    """A webhook endpoint answering with the statuses it is given (then 200).

    Its path is unique, so deliveries left over by other tests (sent to a port that
    happens to be reused) are answered 404 and not counted."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self.path = f"/hook/{uuid.uuid4().hex}"
        self.base = ""
        self.app = FastAPI()
        self.app.post("/hook/{token}")(self.hook)
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return self.base + self.path

    async def hook(self, token: str, request: Request) -> Response:
        if f"/hook/{token}" != self.path:
            return Response(status_code=404)
        self.received.append(Received(dict(request.headers), await request.body()))
        self._arrived.set()
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def types(self) -> list[str]:
        return sorted(r.payload["type"] for r in self.received)

    async def wait_for(self, count: int, timeout_s: float = 30) -> list[Received]:
        """The first ``count`` deliveries, waiting for those that have not come yet."""
        async with asyncio.timeout(timeout_s):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.received[:count]


@contextlib.asynccontextmanager
async def webhook_receiver(statuses: list[int] | None = None) -> AsyncIterator[Receiver]:
    """A :class:`Receiver` served by uvicorn on a loopback port until the block ends."""
    hook = Receiver(statuses)
    async with live_server(hook.app) as base:
        hook.base = base
        yield hook
