"""A client of node A follows jobs that node B runs, live, over Redis pub/sub or
PostgreSQL LISTEN/NOTIFY (every test but the cut-off one runs on both)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from tests.conftest import User
from tests.distributed_events.conftest import Nodes, kill_connections, seqs
from tests.support.gates import Gate
from tests.support.sse import read_until, sse_events

from pictor.jobs.events import Event


async def submit(node_url: str, user: User, port: int, steps: int) -> str:
    body = {"kind": "test_steps", "input": [], "params": {"port": port, "steps": steps}}
    # The clients here wait up to 60 s: the nodes share one process and its loop with
    # the whole suite, and a POST once took over httpx's default 5 s under CI load.
    async with httpx.AsyncClient(base_url=node_url, headers=user.headers, timeout=60) as client:
        response = await client.post("/v1/jobs", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def drain_until_final(queue: asyncio.Queue[Event]) -> list[Event]:
    got = []
    while True:
        event = await queue.get()
        got.append(event)
        if event.is_final:
            return got


async def test_an_sse_client_of_node_a_sees_progress_of_a_job_run_by_node_b_live_in_order(
    nodes: Nodes, user: User
) -> None:
    async with (
        Gate() as gate,
        nodes.a.bus.subscribe(None) as heard_on_a,
        httpx.AsyncClient(base_url=nodes.a.url, headers=user.headers, timeout=60) as client,
    ):
        job_id = await submit(nodes.b.url, user, gate.port, steps=3)
        async with client.stream("GET", f"/v1/jobs/{job_id}/events") as response:
            assert response.status_code == 200
            stream = sse_events(response)
            seen = await read_until(stream, "step 0")
            for step in (1, 2):
                await (await gate.arrival()).release()
                seen += await read_until(stream, f"step {step}")
            await (await gate.arrival()).release()
            seen += [event async for event in stream]
        live = await drain_until_final(heard_on_a)

    assert seqs(seen) == list(range(1, len(seen) + 1)), "no event missed or repeated"
    assert [e["event"] for e in seen] == ["queued", "running"] + ["progress"] * 3 + ["succeeded"]
    assert seen[-1]["data"]["data"]["kind"] == "test_steps"
    # Node A runs no jobs: every one of these events reached it through Redis, in order.
    assert [e.seq for e in live if e.job_id == job_id] == seqs(seen)
    assert nodes.a.runtime.run_workers is False


async def test_a_client_reconnecting_to_the_other_node_with_last_event_id_misses_nothing(
    nodes: Nodes, user: User
) -> None:
    async with Gate() as gate:
        job_id = await submit(nodes.b.url, user, gate.port, steps=3)
        async with (
            httpx.AsyncClient(base_url=nodes.b.url, headers=user.headers) as on_b,
            on_b.stream("GET", f"/v1/jobs/{job_id}/events") as response,
        ):
            first = await read_until(sse_events(response), "step 0")
        # Nobody listens while the job moves on to step 1.
        await (await gate.arrival()).release()
        step1 = await gate.arrival()
        assert step1.tag == "step-1"

        headers = {**user.headers, "Last-Event-ID": first[-1]["id"]}
        async with (
            httpx.AsyncClient(base_url=nodes.a.url, headers=headers, timeout=60) as on_a,
            on_a.stream("GET", f"/v1/jobs/{job_id}/events") as response,
        ):
            stream = sse_events(response)
            second = await read_until(stream, "step 1")
            await step1.release()
            second += await read_until(stream, "step 2")
            await (await gate.arrival()).release()
            second += [event async for event in stream]

    everything = first + second
    assert seqs(everything) == list(range(1, len(everything) + 1))
    assert everything[-1]["event"] == "succeeded"


async def test_a_websocket_on_node_a_follows_a_job_of_node_b(nodes: Nodes, user: User) -> None:
    async with Gate() as gate:
        job_id = await submit(nodes.b.url, user, gate.port, steps=1)
        ws_url = nodes.a.url.replace("http://", "ws://") + f"/v1/jobs/{job_id}/ws"
        got: list[dict[str, Any]] = []
        async with websockets.connect(ws_url, additional_headers=user.headers) as ws:
            while True:
                got.append(json.loads(await ws.recv()))
                if got[-1]["type"] == "progress":
                    break
            await (await gate.arrival()).release()
            async for raw in ws:
                got.append(json.loads(raw))
    assert [e["seq"] for e in got] == list(range(1, len(got) + 1))
    assert got[-1]["type"] == "succeeded"


async def test_killed_bus_connections_reconnect_and_streams_miss_nothing(
    nodes: Nodes, user: User
) -> None:
    """Node A's subscription and node B's publishing connection (only those) killed
    mid-job (CLIENT KILL / pg_terminate_backend): both reconnect, and the SSE client
    still gets every event."""
    async with (
        Gate() as gate,
        httpx.AsyncClient(base_url=nodes.a.url, headers=user.headers, timeout=60) as client,
    ):
        job_id = await submit(nodes.b.url, user, gate.port, steps=3)
        async with client.stream("GET", f"/v1/jobs/{job_id}/events") as response:
            stream = sse_events(response)
            seen = await read_until(stream, "step 0")
            assert await kill_connections(nodes.a.bus, "sub") == 1
            assert await kill_connections(nodes.b.bus, "pub") >= 1
            for step in (1, 2):
                await (await gate.arrival()).release()
                seen += await read_until(stream, f"step {step}")
            await (await gate.arrival()).release()
            seen += [event async for event in stream]

    assert seqs(seen) == list(range(1, len(seen) + 1))
    assert seen[-1]["event"] == "succeeded"
    assert nodes.a.bus.connects >= 2, "node A subscribed again"


async def test_a_final_event_published_while_node_a_was_cut_off_reaches_its_clients(
    redis_nodes: Nodes, user: User
) -> None:
    """Node A loses Redis, the job ends on B meanwhile (its final event is published to
    nobody on A); when A is back its streams read what they missed from the database."""
    nodes = redis_nodes
    async with (
        Gate() as gate,
        nodes.b.bus.subscribe(None) as heard_on_b,
        httpx.AsyncClient(base_url=nodes.a.url, headers=user.headers, timeout=60) as client,
    ):
        job_id = await submit(nodes.b.url, user, gate.port, steps=1)
        async with client.stream("GET", f"/v1/jobs/{job_id}/events") as response:
            stream = sse_events(response)
            seen = await read_until(stream, "step 0")
            connects = nodes.a.bus.connects
            nodes.proxy.cut()
            await (await gate.arrival()).release()
            ended = [e for e in await drain_until_final(heard_on_b) if e.job_id == job_id]
            assert ended[-1].type == "succeeded"
            await nodes.proxy.restore()
            seen += [event async for event in stream]

    assert seqs(seen) == list(range(1, len(seen) + 1))
    assert seen[-1]["event"] == "succeeded"
    assert nodes.a.bus.connects > connects


async def test_an_event_too_big_for_a_notification_is_read_from_its_row(
    postgres_nodes: Nodes, user: User
) -> None:
    """NOTIFY payloads stop at 8,000 bytes: a bigger event is sent as its job id and
    seq, and the listening node reads the stored row."""
    nodes = postgres_nodes
    async with (
        nodes.b.bus.subscribe(None) as on_b,
        httpx.AsyncClient(base_url=nodes.b.url, headers=user.headers) as client,
    ):
        body = {"kind": "test_flaky", "input": [], "params": {"fail_times": 0}}
        response = await client.post("/v1/jobs", json=body)
        assert response.status_code == 201, response.text
        job_id = response.json()["id"]
        stored = [e for e in await drain_until_final(on_b) if e.job_id == job_id][-1]
    async with nodes.a.bus.subscribe(job_id) as on_a:
        big = Event(job_id, stored.seq, stored.type, {"blob": "x" * 20_000}, stored.created_at)
        await nodes.b.bus.publish(big)
        heard = await on_a.get()
    assert (heard.job_id, heard.seq, heard.type) == (job_id, stored.seq, "succeeded")
    assert heard.data == stored.data, "the stored row, not the oversized copy"
    assert heard.created_at == stored.created_at
