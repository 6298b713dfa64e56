"""Test-only pipelines, loaded through the real plug-in setting (PICTOR_PLUGINS).

They make the platform's hard cases happen on demand: transient failures, work held
in a child process until the test lets it go (see gates.py), and progress points a
cancel can land on.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict
from tests.support.gates import child_wait_at_gate

from pictor.errors import InvalidInput, TransientError
from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


class FlakyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fail_times: int = 1
    permanent: bool = False


async def run_flaky(ctx: JobContext, params: FlakyParams) -> None:
    await ctx.progress(10, "trying")
    if params.permanent:
        raise InvalidInput("this input can never work", code="bad_test_input")
    if ctx.attempt <= params.fail_times:
        raise TransientError(f"flaky failure on attempt {ctx.attempt}")
    ctx.result["attempt"] = ctx.attempt


class GateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int
    steps: int = 3


def held_work(port: int, tag: str) -> int:
    """Runs in a child process of the pool: wait at the gate, return the pid."""
    child_wait_at_gate(port, tag)
    return os.getpid()


async def run_block(ctx: JobContext, params: GateParams) -> None:
    await ctx.progress(5, "starting")
    pid = await ctx.run_cpu(held_work, params.port, f"attempt-{ctx.attempt}")
    data = f"made by attempt {ctx.attempt}".encode()
    await ctx.save_output(data, content_type="text/plain", ext="txt", engine="test")
    ctx.result.update({"pid": pid, "attempt": ctx.attempt})


async def run_steps(ctx: JobContext, params: GateParams) -> None:
    for step in range(params.steps):
        await ctx.progress(int(100 * step / params.steps), f"step {step}")
        await ctx.run_cpu(held_work, params.port, f"step-{step}")
    ctx.result["steps"] = params.steps


async def run_slow(ctx: JobContext, params: GateParams) -> None:
    await ctx.progress(5, "starting")
    await ctx.run_cpu(held_work, params.port, "slow")


def _spec(kind: str, params: type[BaseModel], run: object, timeout_s: float = 300) -> PipelineSpec:
    return PipelineSpec(
        kind,
        kind,
        params,
        run,  # type: ignore[arg-type]
        cost=1,
        min_inputs=0,
        max_inputs=0,
        timeout_s=timeout_s,
    )


def register(catalog: Registry[PipelineSpec]) -> None:
    catalog.register("test_flaky", _spec("test_flaky", FlakyParams, run_flaky))
    catalog.register("test_block", _spec("test_block", GateParams, run_block))
    catalog.register("test_steps", _spec("test_steps", GateParams, run_steps))
    catalog.register("test_slow", _spec("test_slow", GateParams, run_slow, timeout_s=0.5))
