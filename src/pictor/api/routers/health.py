"""/health (liveness), /ready (each component), /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from pictor.api.deps import RuntimeDep
from pictor.engines.availability import Availability

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness")
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def _database(runtime: Any) -> Availability:
    try:
        await asyncio.wait_for(runtime.db.ping(), timeout=5)
    except Exception as exc:
        return Availability.missing(f"{type(exc).__name__}")
    return Availability.ok("sqlite" if runtime.db.is_sqlite else "postgresql")


@router.get("/ready", summary="Readiness of every component")
async def ready(runtime: RuntimeDep) -> JSONResponse:
    components: dict[str, Availability] = {
        "database": await _database(runtime),
        "storage": await runtime.store.check(),
        "queue": (
            Availability.ok(f"in-process, {runtime.settings.worker.concurrency} workers")
            if runtime.queue is not None and runtime.run_workers
            else Availability.ok("no local workers (API only)")
            if runtime.queue is not None
            else Availability.missing("not started")
        ),
    }
    engines = runtime.engines.readiness()
    # Engines not configured are reported but do not make the service unready.
    required_ok = all(c.available for c in components.values())
    body = {
        "status": "ready" if required_ok else "unavailable",
        "components": {
            k: {"available": v.available, "detail": v.detail} for k, v in components.items()
        },
        "engines": {k: {"available": v.available, "detail": v.detail} for k, v in engines.items()},
    }
    return JSONResponse(body, status_code=200 if required_ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    await runtime.refresh_job_counts()
    payload, content_type = runtime.metrics.render()
    return Response(payload, media_type=content_type)
