"""Raw ASGI calls for what httpx's ASGI transport cannot do: WebSockets, and the
status of a response whose body never ends (an event stream)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI


async def websocket_close_code(
    app: FastAPI, path: str, headers: dict[str, str], query: str = ""
) -> int:
    """Connect to a WebSocket route over raw ASGI and return the code it closes with."""
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("pictor.test", 80),
        "subprotocols": [],
        "state": {},
    }
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.close" and not closed.done():
            closed.set_result(int(message.get("code", 1000)))

    task = asyncio.create_task(app(scope, inbox.get, send))  # type: ignore[arg-type]
    try:
        return await asyncio.wait_for(closed, timeout=30)
    finally:
        await inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(task, timeout=30)


async def response_status(app: FastAPI, path: str, headers: dict[str, str]) -> int:
    """The status of a GET over raw ASGI, without waiting for the body: event streams
    (SSE) of live resources never end."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"pictor.test")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("pictor.test", 80),
        "state": {},
    }
    requested = False
    gone = asyncio.Event()
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and not started.done():
            started.set_result(int(message["status"]))

    task = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]
    try:
        return await asyncio.wait_for(asyncio.shield(started), timeout=30)
    finally:
        gone.set()
        try:
            await asyncio.wait_for(task, timeout=5)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
