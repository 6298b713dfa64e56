"""Fake provider servers on loopback, speaking each provider's real wire protocol.

Each fake records what it was sent and answers from a script (``replies``), falling
back to a success. A reply can ``hang`` (answer only when the test ends) to make a
client time out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from tests.support.images import product_photo
from tests.support.server import live_server

PNG = product_photo(96, 64, "PNG")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


class Fake:
    key = "fake-secret-key-1234"

    def __init__(self) -> None:
        self.app = FastAPI()
        self.url = ""
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        self.arrivals: asyncio.Queue[Seen] = asyncio.Queue()
        self.release = asyncio.Event()
        self.app.add_api_route("/files/{name}", self._file, methods=["GET"])

    async def _file(self, name: str, request: Request) -> Response:
        await self.record(request, None)
        return Response(PNG, media_type="image/png")

    async def record(self, request: Request, body: Any) -> Seen:
        seen = Seen(request.method, request.url.path, dict(request.headers), body, time.monotonic())
        self.seen.append(seen)
        await self.arrivals.put(seen)
        return seen

    async def scripted(self) -> Reply | None:
        if not self.replies:
            return None
        reply = self.replies.pop(0)
        if reply.hang:
            await self.release.wait()
        return reply

    def reset(self) -> None:
        self.replies.clear()
        self.seen.clear()
        self.arrivals = asyncio.Queue()

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[Fake]:
        async with live_server(self.app) as url:
            self.url = url
            try:
                yield self
            finally:
                self.release.set()


def respond(reply: Reply) -> Response:
    if isinstance(reply.body, bytes | str):
        return Response(reply.body, reply.status, headers=reply.headers)
    return JSONResponse(reply.body, reply.status, headers=reply.headers)


class FakeGemini(Fake):
    """POST /{v1,v1beta}/models/{model}:generateContent with ``x-goog-api-key``."""

    def __init__(self) -> None:
        super().__init__()
        self.snake_case = False
        for version in ("v1", "v1beta"):
            self.app.add_api_route(f"/{version}/models/{{call}}", self._generate, methods=["POST"])

    async def _generate(self, call: str, request: Request) -> Response:
        await self.record(request, await request.json())
        if request.headers.get("x-goog-api-key") != self.key:
            error = {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}
            return JSONResponse({"error": error}, 400)
        if not call.endswith(":generateContent"):
            return JSONResponse({"error": {"code": 404, "message": "no such method"}}, 404)
        reply = await self.scripted()
        if reply is not None:
            return respond(reply)
        return JSONResponse(self.image_answer(call.split(":")[0]))

    def image_answer(self, model: str) -> dict[str, Any]:
        data = base64.b64encode(PNG).decode()
        if self.snake_case:
            image = {"inline_data": {"mime_type": "image/png", "data": data}}
            return {
                "candidates": [
                    {
                        "content": {
                            "role": "model",
                            "parts": [{"text": "a draft", "thought": True}, image],
                        },
                        "finish_reason": "STOP",
                    }
                ],
                "model_version": model,
            }
        image = {"inlineData": {"mimeType": "image/png", "data": data}}
        return {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [
                            {"text": "thinking about it", "thought": True},
                            {
                                "inlineData": {"mimeType": "image/png", "data": "bm90IGFuIGltYWdl"},
                                "thought": True,
                            },
                            {"text": "Here is your image."},
                            image,
                        ],
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "modelVersion": model,
            "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 1299},
        }


def gemini_error(status: int, message: str, code: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": code}}


class FakeOpenAI(Fake):
    """POST /v1/images/generations (JSON) and /v1/images/edits (multipart, ``image[]``)."""

    def __init__(self) -> None:
        super().__init__()
        self.respond_with_url = False
        self.app.add_api_route("/v1/images/generations", self._generations, methods=["POST"])
        self.app.add_api_route("/v1/images/edits", self._edits, methods=["POST"])

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.key}"

    async def _generations(self, request: Request) -> Response:
        body = await request.json()
        await self.record(request, body)
        return await self._answer(request, int(body.get("n") or 1))

    async def _edits(self, request: Request) -> Response:
        form = await request.form()
        fields: dict[str, Any] = {}
        for name, value in form.multi_items():
            if hasattr(value, "read"):
                fields.setdefault(name, []).append(await value.read())
            else:
                fields[name] = value
        await self.record(request, fields)
        return await self._answer(request, int(fields.get("n") or 1))

    async def _answer(self, request: Request, n: int) -> Response:
        if not self._authorized(request):
            error = {
                "message": "Incorrect API key provided: fake-sec**1234.",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
                "param": None,
            }
            return JSONResponse({"error": error}, 401)
        reply = await self.scripted()
        if reply is not None:
            return respond(reply)
        if self.respond_with_url:
            data = [{"url": f"{self.url}/files/out-{i}.png"} for i in range(n)]
        else:
            b64 = base64.b64encode(PNG).decode()
            data = [{"b64_json": b64, "revised_prompt": "a revised prompt"} for _ in range(n)]
        return JSONResponse({"created": int(time.time()), "data": data})


def openai_error(message: str, code: str | None = None) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


class FakeReplicate(Fake):
    """Predictions: create (both layouts, ``Prefer: wait``), get, cancel; Bearer token."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)
        self.predictions: dict[str, dict[str, Any]] = {}
        #: Statuses returned by successive GETs; the last one repeats.
        self.statuses = ["processing", "succeeded"]
        self.create_status = "starting"
        self.failure: str | None = None
        #: Scripted answers to polls (GET), apart from ``replies`` (which come first).
        self.poll_replies: list[Reply] = []
        self.canceled = asyncio.Event()
        app = self.app
        app.add_api_route("/v1/predictions", self._create, methods=["POST"])
        app.add_api_route("/v1/models/{owner}/{name}/predictions", self._create, methods=["POST"])
        app.add_api_route("/v1/predictions/{pid}", self._get, methods=["GET"])
        app.add_api_route("/v1/predictions/{pid}/cancel", self._cancel, methods=["POST"])

    def reset(self) -> None:
        super().reset()
        self.statuses = ["processing", "succeeded"]
        self.create_status = "starting"
        self.failure = None
        self.poll_replies = []
        self.canceled = asyncio.Event()

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            body = {
                "title": "Unauthenticated",
                "detail": "You did not pass a valid authentication token",
                "status": 401,
            }
            return JSONResponse(body, 401)
        return None

    def _view(self, pid: str, status: str) -> dict[str, Any]:
        prediction = self.predictions[pid]
        prediction["status"] = status
        if status == "succeeded":
            prediction["output"] = [
                f"{self.url}/files/{pid}-{i}.png" for i in range(prediction["n"])
            ]
        if status == "failed":
            prediction["error"] = self.failure or "CUDA out of memory"
        base = f"{self.url}/v1/predictions/{pid}"
        return {
            **{k: v for k, v in prediction.items() if k != "n"},
            "urls": {"get": base, "cancel": f"{base}/cancel"},
        }

    async def _create(self, request: Request) -> Response:
        body = await request.json()
        await self.record(request, body)
        if (denied := self._denied(request)) is not None:
            return denied
        reply = await self.scripted()
        if reply is not None:
            return respond(reply)
        pid = f"pred{next(self.ids)}"
        model = request.path_params.get("owner", "") + "/" + request.path_params.get("name", "")
        self.predictions[pid] = {
            "id": pid,
            "model": model.strip("/") or "owner/pinned",
            "version": body.get("version", "hidden"),
            "input": body["input"],
            "output": None,
            "error": None,
            "logs": "",
            "created_at": "2025-01-01T00:00:00Z",
            "n": int(body["input"].get("num_outputs", 1)),
        }
        return JSONResponse(self._view(pid, self.create_status), 201)

    async def _get(self, pid: str, request: Request) -> Response:
        await self.record(request, None)
        if (denied := self._denied(request)) is not None:
            return denied
        reply = await self.scripted()
        if reply is None and self.poll_replies:
            reply = self.poll_replies.pop(0)
            if reply.hang:
                await self.release.wait()
        if reply is not None:
            return respond(reply)
        if self.predictions[pid]["status"] == "canceled":
            return JSONResponse(self._view(pid, "canceled"))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return JSONResponse(self._view(pid, status))

    async def _cancel(self, pid: str, request: Request) -> Response:
        await self.record(request, None)
        if (denied := self._denied(request)) is not None:
            return denied
        self.canceled.set()
        return JSONResponse(self._view(pid, "canceled"))
