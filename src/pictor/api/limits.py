"""A cap on request bodies that are not file uploads (JSON, forms), enforced as they arrive.

Multipart bodies are left alone: they carry images, and the upload readers stream them to
storage under the image size limit. Everything else is small by nature; a client that
sends more gets ``413 request_too_large`` in pictor's JSON error shape, before the body is
read whole.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pictor.errors import InvalidInput

DEFAULT_MAX_BYTES = 1_000_000


class RequestTooLarge(InvalidInput):
    code = "request_too_large"


def _error_body(limit: int) -> bytes:
    message = f"the request body is larger than {limit} bytes"
    return json.dumps({"error": {"code": RequestTooLarge.code, "message": message}}).encode()


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_multipart(scope):
            await self.app(scope, receive, send)
            return
        declared = self._content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        limit = self.max_bytes
        over = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise RequestTooLarge(f"the request body is larger than {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            # The app answers a body it could not read with its own error (FastAPI: 400);
            # the client is told the real reason instead.
            nonlocal started
            if over:
                if not started and message["type"] == "http.response.start":
                    started = True
                    await self._refuse(send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except RequestTooLarge:
            if started:
                raise
            started = True
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = _error_body(self.max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _is_multipart(scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                return bool(value.lower().startswith(b"multipart/"))
        return False

    @staticmethod
    def _content_length(scope: Scope) -> int | None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None
