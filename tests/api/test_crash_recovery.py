"""kill -9 the whole server mid-job; on restart the job is recovered and runs once."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.support.gates import Gate
from tests.support.server import ServerProcess, free_port
from tests.support.sse import sse_events


@pytest.fixture(params=["sqlite", "postgresql"])
async def server(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> AsyncIterator[ServerProcess]:
    env = {
        "PICTOR_ENV": "test",
        "PICTOR_DATA_DIR": str(tmp_path),
        "PICTOR_SECURITY_SECRET_KEY": secrets.token_urlsafe(24),
        "PICTOR_ADMIN_API_KEY": "psk_" + secrets.token_urlsafe(30),
        "PICTOR_PLUGINS": json.dumps(["tests.support.plugins"]),
        "PICTOR_LOG_JSON": "false",
    }
    if request.param == "postgresql":
        env["PICTOR_DATABASE_URL"] = postgres_url
    proc = ServerProcess(env, free_port())
    yield proc
    proc.stop()


async def test_a_job_running_when_the_server_is_killed_finishes_once_after_restart(
    server: ServerProcess,
) -> None:
    headers = {"Authorization": f"Bearer {server.env['PICTOR_ADMIN_API_KEY']}"}
    await server.start()
    async with Gate() as gate, httpx.AsyncClient(base_url=server.url, headers=headers) as client:
        body = {"kind": "test_block", "input": [], "params": {"port": gate.port}}
        job = (await client.post("/v1/jobs", json=body)).json()
        first = await gate.arrival()
        assert first.tag == "attempt-1"
        server.kill()

        await server.start()
        second = await gate.arrival()
        assert second.tag == "attempt-2"
        await second.release()
        async with client.stream("GET", f"/v1/jobs/{job['id']}/events") as stream:
            types = [event["event"] async for event in sse_events(stream)]
        final = (await client.get(f"/v1/jobs/{job['id']}")).json()
    assert final["status"] == "succeeded"
    assert final["attempts"] == 2
    assert len(final["outputs"]) == 1
    assert types.count("running") == 2 and "requeued" in types
    assert types[-1] == "succeeded" and types.count("succeeded") == 1
