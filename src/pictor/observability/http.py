"""Request ids, access logs and HTTP metrics as a pure ASGI middleware.

Pure ASGI (not ``BaseHTTPMiddleware``) so it only watches messages go by: streamed
bodies (SSE) pass chunk by chunk, and WebSockets pass through untouched apart from the
request id. Add it with ``app.add_middleware(RequestContextMiddleware, metrics=metrics)``.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pictor.observability.logging import request_id_var
from pictor.observability.metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNMATCHED_ROUTE = "unmatched"

access_logger = logging.getLogger("pictor.access")


def new_request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


def _incoming_request_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == _HEADER_KEY:
            candidate = value.decode("latin-1")
            # A client-chosen id lands in logs and headers: accept only a plain token.
            return candidate if _SANE_REQUEST_ID.fullmatch(candidate) else None
    return None


def _with_request_id(headers: Any, request_id: str) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers or () if bytes(k).lower() != _HEADER_KEY]
    kept.append((_HEADER_KEY, request_id.encode("latin-1")))
    return kept


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/jobs/{job_id}``), or ``"unmatched"``.

    Starlette's router stores the matched route in the shared scope. Inside a ``Mount``
    the inner route's path is relative, so the mount prefix (the part ``root_path``
    grew by) is put back in front.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED_ROUTE
    prefix = ""
    if "app_root_path" in scope:
        root_path: str = scope.get("root_path", "")
        app_root: str = scope["app_root_path"]
        if root_path.startswith(app_root):
            prefix = root_path[len(app_root) :]
    return f"{prefix}{path}" or "/"


class RequestContextMiddleware:
    """Bind a request id, echo it as ``X-Request-ID``, log and measure every request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or new_request_id()
        token = request_id_var.set(request_id)
        try:
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send, request_id)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            request_id_var.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        async def send_with_id(message: Message) -> None:
            if message["type"] == "websocket.accept":
                message["headers"] = _with_request_id(message.get("headers"), request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        status = 500  # what the client gets if the app raises before responding
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = _with_request_id(message.get("headers"), request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", "GET"))
        route = route_template(scope)
        self.metrics.observe_http_request(method, route, status, seconds)
        duration_ms = round(seconds * 1000, 2)
        # The route template only: raw paths and query strings may carry signed-URL
        # signatures, and headers are never logged at all.
        access_logger.info(
            "%s %s %d %.2fms",
            method,
            route,
            status,
            duration_ms,
            extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
        )
