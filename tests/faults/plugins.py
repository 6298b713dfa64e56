"""The job kind of the fault suite, loaded through PICTOR_PLUGINS by every node.

``fault_work`` is cheap but does what real jobs do: progress events (database writes),
a short wait between them (so kills and outages land mid-job), and one output stored in
the blob store (S3 in the suite) whose artifact row the final transaction writes. The
output names its job and attempt, so a test can tell which attempt's output survived.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict, Field
from tests.support.plugins import _spec

from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


class WorkParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int = Field(default=3, ge=1, le=20)
    step_ms: int = Field(default=100, ge=0, le=5000)


async def run_work(ctx: JobContext, params: WorkParams) -> None:
    for step in range(params.steps):
        await ctx.progress(int(100 * step / params.steps), f"step {step}")
        await asyncio.sleep(params.step_ms / 1000)  # the job's own work, not a test's sync
    data = f"{ctx.job_id} attempt {ctx.attempt}\n".encode()
    await ctx.save_output(data, content_type="text/plain", ext="txt", engine="test")
    ctx.result["attempt"] = ctx.attempt


def register(catalog: Registry[PipelineSpec]) -> None:
    catalog.register("fault_work", _spec("fault_work", WorkParams, run_work, timeout_s=10))
