"""Reading the API's Server-Sent Events streams (job events, studio sessions)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


async def sse_events(
    source: httpx.Response | AsyncIterator[str],
) -> AsyncIterator[dict[str, Any]]:
    """Parse a text/event-stream into {"id", "event", "data"} dicts.

    ``source`` is the streamed response, or its lines when the test has read some
    already (``response.aiter_lines()`` can be called only once)."""
    lines = source.aiter_lines() if isinstance(source, httpx.Response) else source
    event: dict[str, Any] = {}
    async for line in lines:
        if line == "":
            if "event" in event:
                yield event
            event = {}
        elif line.startswith(("id: ", "event: ")):
            key, _, value = line.partition(": ")
            event[key] = value
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])


async def read_until(stream: AsyncIterator[dict[str, Any]], stage: str) -> list[dict[str, Any]]:
    """A job's events up to the first progress event of ``stage``."""
    seen = []
    async for event in stream:
        seen.append(event)
        if event["data"]["data"].get("stage") == stage:
            return seen
    raise AssertionError(f"stream ended before {stage!r}: {seen}")
