"""Bench-only job kinds, loaded through the real plug-in setting (PICTOR_PLUGINS).

- ``bench_noop``: no input, no work. Its submit → succeeded latency is the platform's
  whole per-job overhead (three write transactions, the queue, events), nothing else.
- ``bench_echo``: one upload in, one output out, with a trivial call into the process
  pool in between: the overhead an image job pays around its pipeline function
  (input read, a child-process round trip, output stored, artifact row).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


async def run_noop(ctx: JobContext, params: NoParams) -> None:
    ctx.result["ok"] = True


def echo_bytes(data: bytes) -> bytes:
    """Runs in a child process: returns its input (the cost is the round trip)."""
    return data


async def run_echo(ctx: JobContext, params: NoParams) -> None:
    source = await ctx.input_bytes(0)
    data = await ctx.run_cpu(echo_bytes, source)
    await ctx.save_output(data, content_type="image/png", ext="png", engine="bench")
    ctx.result["bytes"] = len(data)


def register(catalog: Registry[PipelineSpec]) -> None:
    catalog.register(
        "bench_noop",
        PipelineSpec("bench_noop", "No-op", NoParams, run_noop, cost=1, min_inputs=0, max_inputs=0),
    )
    catalog.register("bench_echo", PipelineSpec("bench_echo", "Echo", NoParams, run_echo, cost=1))
