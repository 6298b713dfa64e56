from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
from collections.abc import AsyncIterator, Coroutine, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from pictor.observability.http import RequestContextMiddleware
from pictor.observability.logging import JsonFormatter, RedactSecrets, request_id_var
from pictor.observability.metrics import Metrics

GENERATED_ID = re.compile(r"req_[0-9a-f]{24}")
handler_log = logging.getLogger("pictor.test.http_handler")


class StreamGate:
    """Lets a test hold the streaming endpoint between its two chunks."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.hold = False


def make_app(metrics: Metrics, gate: StreamGate) -> Starlette:
    async def item(request: Request) -> JSONResponse:
        handler_log.info("handling item")
        return JSONResponse({"item": request.path_params["item_id"], "rid": request_id_var.get()})

    async def stream(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"data: one\n\n"
            if gate.hold:
                await gate.release.wait()
            yield f"data: {request_id_var.get()}\n\n".encode()

        return StreamingResponse(chunks(), media_type="text/event-stream")

    async def boom(request: Request) -> JSONResponse:
        raise RuntimeError("handler crashed")

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"rid": request_id_var.get()})
        text = await websocket.receive_text()
        await websocket.send_text(text.upper())
        await websocket.close()

    return Starlette(
        routes=[
            Route("/v1/items/{item_id}", item),
            Route("/v1/stream", stream),
            Route("/v1/boom", boom),
            WebSocketRoute("/v1/ws", echo),
            Mount("/sub", routes=[Route("/things/{item_id}", item)]),
        ],
        middleware=[Middleware(RequestContextMiddleware, metrics=metrics)],
    )


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def gate() -> StreamGate:
    return StreamGate()


@pytest.fixture
def app(metrics: Metrics, gate: StreamGate) -> Starlette:
    return make_app(metrics, gate)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """JSON lines from the access logger and the test handler's logger."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets())
    loggers = [logging.getLogger("pictor.access"), handler_log]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False
    yield out
    for lg, (level, propagate) in zip(loggers, saved, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.propagate = propagate


def _http_samples(metrics: Metrics) -> list[tuple[str, dict[str, str], float]]:
    text = metrics.render()[0].decode()
    return [
        (s.name, s.labels, s.value)
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
        if s.name == "pictor_http_requests_total"
    ]


async def test_request_id_is_echoed_and_bound_in_logs(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    response = await client.get("/v1/items/42", headers={"X-Request-ID": "client-id.1_a"})

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "client-id.1_a"
    assert response.json() == {"item": "42", "rid": "client-id.1_a"}
    handled, access = (json.loads(line) for line in json_logs.getvalue().splitlines())
    assert handled["request_id"] == "client-id.1_a"
    assert access["logger"] == "pictor.access"
    assert access["request_id"] == "client-id.1_a"
    assert (access["method"], access["route"], access["status"]) == (
        "GET",
        "/v1/items/{item_id}",
        200,
    )
    assert isinstance(access["duration_ms"], float)
    assert request_id_var.get() is None


async def test_missing_request_id_is_generated(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/items/1")
    second = await client.get("/v1/items/1")

    assert GENERATED_ID.fullmatch(first.headers["x-request-id"])
    assert first.json()["rid"] == first.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize(
    "incoming", ["has spaces", "x" * 65, "<script>", "semi;colon", "", "ünïcode"]
)
async def test_insane_request_id_is_replaced(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get(
        "/v1/items/1", headers=[(b"x-request-id", incoming.encode("utf-8"))]
    )

    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])
    assert response.json()["rid"] == response.headers["x-request-id"]


async def test_route_template_not_raw_path_is_recorded(
    client: httpx.AsyncClient, metrics: Metrics, json_logs: io.StringIO
) -> None:
    await client.get("/v1/items/QZ123?exp=1&sig=s3cr3tsig")
    await client.get("/v1/items/QZ456")
    await client.get("/sub/things/QZ789")
    await client.get("/nope/QZ999")
    await client.post("/v1/items/1")
    boom = await client.get("/v1/boom")

    assert boom.status_code == 500
    samples = {
        (labels["method"], labels["route"], labels["status"]): value
        for _, labels, value in _http_samples(metrics)
    }
    assert samples == {
        ("GET", "/v1/items/{item_id}", "200"): 2,
        ("GET", "/sub/things/{item_id}", "200"): 1,
        ("GET", "unmatched", "404"): 1,
        ("POST", "/v1/items/{item_id}", "405"): 1,
        ("GET", "/v1/boom", "500"): 1,
    }
    logged = json_logs.getvalue()
    for raw in ("QZ", "s3cr3tsig", "sig=", "exp="):
        assert raw not in logged


async def test_streaming_response_passes_both_chunks(client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/v1/stream", headers={"X-Request-ID": "sse-1"}) as response:
        body = [chunk async for chunk in response.aiter_raw()]

    assert response.headers["x-request-id"] == "sse-1"
    assert b"".join(body) == b"data: one\n\ndata: sse-1\n\n"


async def test_first_chunk_reaches_the_client_before_the_second_is_produced(
    app: Starlette, gate: StreamGate, metrics: Metrics
) -> None:
    # httpx's ASGITransport buffers whole bodies, so talk ASGI directly: a middleware
    # that buffered would never deliver chunk one while the endpoint is held.
    gate.hold = True
    sent: list[MutableMapping[str, Any]] = []
    first_chunk, finished = asyncio.Event(), asyncio.Event()
    request_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message.get("body"):
            first_chunk.set()
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": "/v1/stream", "raw_path": b"/v1/stream",
        "root_path": "", "query_string": b"", "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1), "server": ("test", 80),
    }  # fmt: skip
    task = asyncio.create_task(app(scope, receive, send))
    try:
        chunk_one_arrived = await _within(first_chunk.wait(), seconds=5)
        bodies = [m.get("body") for m in sent if m["type"] == "http.response.body"]
        in_flight = _http_samples(metrics)
    finally:
        gate.release.set()  # never leave the endpoint parked, even when the test failed
        await asyncio.wait_for(task, timeout=5)

    assert chunk_one_arrived, "the first chunk was held back until the stream ended"
    assert bodies == [b"data: one\n\n"]
    assert in_flight == []  # measured when the response ends, not when it starts
    bodies = [m.get("body") for m in sent if m["type"] == "http.response.body"]
    assert bodies[:2] == [b"data: one\n\n", f"data: {request_id_from(sent)}\n\n".encode()]
    assert [labels["route"] for _, labels, _ in _http_samples(metrics)] == ["/v1/stream"]


async def test_sse_streams_through_a_real_server(app: Starlette, gate: StreamGate) -> None:
    gate.hold = True
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections queue in the backlog until uvicorn starts accepting
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, lifespan="off", timeout_graceful_shutdown=2)
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with (
            httpx.AsyncClient(timeout=5) as c,
            c.stream("GET", f"http://127.0.0.1:{port}/v1/stream") as response,
        ):
            lines = response.aiter_lines()
            first = await asyncio.wait_for(anext(lines), timeout=5)
            gate.release.set()  # only now may the endpoint produce its second event
            rest = [line async for line in lines]
        assert first == "data: one"
        assert response.headers["content-type"].startswith("text/event-stream")
        assert f"data: {response.headers['x-request-id']}" in rest
    finally:
        gate.release.set()  # never leave the endpoint parked, even when the test failed
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=5)
        sock.close()


async def _within(waiting: Coroutine[Any, Any, Any], seconds: float) -> bool:
    try:
        await asyncio.wait_for(waiting, timeout=seconds)
    except TimeoutError:
        return False
    return True


def request_id_from(sent: list[MutableMapping[str, Any]]) -> str:
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers: dict[bytes, bytes] = dict(start["headers"])
    return headers[b"x-request-id"].decode()


def test_websocket_passes_through_with_request_id(app: Starlette, metrics: Metrics) -> None:
    with (
        TestClient(app) as client,
        client.websocket_connect("/v1/ws", headers={"X-Request-ID": "ws-42"}) as ws,
    ):
        assert ws.receive_json() == {"rid": "ws-42"}
        ws.send_text("ping")
        assert ws.receive_text() == "PING"
        assert (b"x-request-id", b"ws-42") in (ws.extra_headers or [])

    assert _http_samples(metrics) == []


async def test_fastapi_router_prefix_is_part_of_the_template(metrics: Metrics) -> None:
    router = APIRouter(prefix="/v1/jobs")

    @router.get("/{job_id}")
    async def get_job(job_id: str) -> dict[str, str | None]:
        return {"job_id": job_id, "rid": request_id_var.get()}

    api = FastAPI()
    api.include_router(router)
    api.add_middleware(RequestContextMiddleware, metrics=metrics)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        response = await c.get("/v1/jobs/job_abc", headers={"X-Request-ID": "fa-1"})

    assert response.json() == {"job_id": "job_abc", "rid": "fa-1"}
    assert [labels["route"] for _, labels, _ in _http_samples(metrics)] == ["/v1/jobs/{job_id}"]
