"""Test-only pipelines, loaded through the real plug-in setting (PICTOR_PLUGINS).

They make the platform's hard cases happen on demand: transient failures, work that
blocks in a child process until the test lets it go, and progress points a cancel
can land on. Synchronization is through files the test creates (never sleeps).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

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
    gate_dir: str
    steps: int = 3


def wait_for_file(path: str, timeout_s: float = 60.0) -> None:
    """Block (in a child process) until the test creates ``path``."""
    deadline = time.monotonic() + timeout_s
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.005)  # polling a file in the child; the test never sleeps


def blocking_work(gate_dir: str, attempt: int) -> int:
    """Runs in a child process: announce the pid, then wait for the release file."""
    Path(gate_dir, f"started-{attempt}").write_text(str(os.getpid()))
    wait_for_file(str(Path(gate_dir, "release")))
    return os.getpid()


async def run_block(ctx: JobContext, params: GateParams) -> None:
    await ctx.progress(5, "starting")
    pid = await ctx.run_cpu(blocking_work, params.gate_dir, ctx.attempt)
    data = f"made by attempt {ctx.attempt}".encode()
    await ctx.save_output(data, content_type="text/plain", ext="txt", engine="test")
    ctx.result.update({"pid": pid, "attempt": ctx.attempt})


def step_gate(gate_dir: str, step: int) -> None:
    Path(gate_dir, f"at-{step}").write_text("")
    wait_for_file(str(Path(gate_dir, f"go-{step}")))


async def run_steps(ctx: JobContext, params: GateParams) -> None:
    for step in range(params.steps):
        await ctx.progress(int(100 * step / params.steps), f"step {step}")
        await ctx.run_cpu(step_gate, params.gate_dir, step)
    ctx.result["steps"] = params.steps


def register(catalog: Registry[PipelineSpec]) -> None:
    catalog.register(
        "test_flaky",
        PipelineSpec("test_flaky", "Flaky", FlakyParams, run_flaky, cost=1, min_inputs=0, max_inputs=0),
    )
    catalog.register(
        "test_block",
        PipelineSpec("test_block", "Block", GateParams, run_block, cost=1, min_inputs=0, max_inputs=0),
    )
    catalog.register(
        "test_steps",
        PipelineSpec("test_steps", "Steps", GateParams, run_steps, cost=1, min_inputs=0, max_inputs=0),
    )
