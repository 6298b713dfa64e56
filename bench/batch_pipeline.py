"""Bench-only job kind for batches, loaded through the real plug-in setting (PICTOR_PLUGINS).

``bench_busy``: no input; spins one process-pool worker for ``ms`` milliseconds, like an
image pipeline's CPU stage, then stores a tiny output. A batch of these keeps workers
and pool processes as busy as a batch of real image jobs would.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


class BusyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ms: float = Field(100.0, ge=0, le=10_000)


def spin(ms: float) -> int:
    """Runs in a child process: burn CPU for ``ms`` milliseconds."""
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


async def run_busy(ctx: JobContext, params: BusyParams) -> None:
    loops = await ctx.run_cpu(spin, params.ms)
    await ctx.save_output(b"busy", content_type="text/plain", ext="txt", engine="bench")
    ctx.result["loops"] = loops


def register(catalog: Registry[PipelineSpec]) -> None:
    catalog.register(
        "bench_busy",
        PipelineSpec(
            "bench_busy", "Busy", BusyParams, run_busy, cost=1, min_inputs=0, max_inputs=0
        ),
    )
