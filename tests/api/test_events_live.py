"""SSE and WebSocket progress through a live uvicorn server on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets
from fastapi import FastAPI
from tests.conftest import User
from tests.support.gates import Gate
from tests.support.server import live_server
from tests.support.sse import read_until, sse_events


@pytest.fixture
async def live(app: FastAPI) -> AsyncIterator[str]:
    async with live_server(app) as url:
        yield url


async def test_sse_streams_progress_live_and_a_reconnect_with_last_event_id_misses_nothing(
    live: str, user: User
) -> None:
    async with Gate() as gate, httpx.AsyncClient(base_url=live, headers=user.headers) as client:
        body = {"kind": "test_steps", "input": [], "params": {"port": gate.port, "steps": 3}}
        job = (await client.post("/v1/jobs", json=body)).json()
        async with client.stream("GET", f"/v1/jobs/{job['id']}/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            first_part = await read_until(sse_events(response), "step 0")
        assert [e["event"] for e in first_part][:2] == ["queued", "running"]
        last_id = first_part[-1]["id"]

        # While nobody listens, the job moves on to step 1.
        await (await gate.arrival()).release()
        step1 = await gate.arrival()
        assert step1.tag == "step-1"

        headers = {"Last-Event-ID": last_id}
        async with client.stream("GET", f"/v1/jobs/{job['id']}/events", headers=headers) as resp:
            events = sse_events(resp)
            second_part = await read_until(events, "step 1")
            await step1.release()
            third_part = await read_until(events, "step 2")
            await (await gate.arrival()).release()
            rest = [e async for e in events]
    everything = first_part + second_part + third_part + rest
    seqs = [int(e["id"]) for e in everything]
    assert seqs == list(range(1, len(seqs) + 1)), "no event missed or repeated"
    assert everything[-1]["event"] == "succeeded"


async def test_a_client_of_a_finished_job_gets_the_final_event_at_once(
    live: str, user: User
) -> None:
    async with httpx.AsyncClient(base_url=live, headers=user.headers) as client:
        body = {"kind": "test_flaky", "input": [], "params": {"fail_times": 0}}
        job = (await client.post("/v1/jobs", json=body, headers={"Prefer": "wait=30"})).json()
        assert job["status"] == "succeeded"
        async with client.stream("GET", f"/v1/jobs/{job['id']}/events") as response:
            everything = [e async for e in sse_events(response)]
        last = int(everything[-1]["id"])
        headers = {"Last-Event-ID": str(last - 1)}
        async with client.stream("GET", f"/v1/jobs/{job['id']}/events", headers=headers) as resp:
            tail = [e async for e in sse_events(resp)]
    assert everything[-1]["event"] == "succeeded"
    assert [(e["id"], e["event"]) for e in tail] == [(str(last), "succeeded")]


async def test_websocket_follows_a_job_to_its_end_then_closes(live: str, user: User) -> None:
    ws_base = live.replace("http://", "ws://")
    async with Gate() as gate, httpx.AsyncClient(base_url=live, headers=user.headers) as client:
        body = {"kind": "test_steps", "input": [], "params": {"port": gate.port, "steps": 2}}
        job = (await client.post("/v1/jobs", json=body)).json()
        url = f"{ws_base}/v1/jobs/{job['id']}/ws"
        async with websockets.connect(url, additional_headers=user.headers) as ws:
            received = [json.loads(await ws.recv()) for _ in range(3)]
            assert [m["type"] for m in received] == ["queued", "running", "progress"]
            for _ in range(2):
                await (await gate.arrival()).release()
            received += [json.loads(m) async for m in ws]
            assert ws.close_code == 1000
    assert received[-1]["type"] == "succeeded"
    assert [m["seq"] for m in received] == list(range(1, len(received) + 1))


async def test_websocket_of_another_users_job_is_refused(
    live: str, user: User, other_user: User
) -> None:
    async with httpx.AsyncClient(base_url=live, headers=user.headers) as client:
        body = {"kind": "test_flaky", "input": [], "params": {"fail_times": 0}}
        job = (await client.post("/v1/jobs", json=body)).json()
    url = f"{live.replace('http://', 'ws://')}/v1/jobs/{job['id']}/ws?api_key={other_user.key}"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosedError):
            await ws.recv()
    assert ws.close_code == 4404 and ws.close_reason == "job_not_found"
    async with websockets.connect(url.replace(other_user.key, "psk_wrong" * 3)) as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosedError):
            await ws.recv()
    assert ws.close_code == 4401
