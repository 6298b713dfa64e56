"""Test kinds for distributed mode (loaded through PICTOR_PLUGINS by workers).

``test_hang`` blocks its worker's event loop (it waits at the gate in the loop's own
thread), so its pipeline timeout cannot fire: only Celery's time limit can end it.
"""

from __future__ import annotations

from tests.support.gates import child_wait_at_gate
from tests.support.plugins import GateParams, _spec

from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


async def run_hang(ctx: JobContext, params: GateParams) -> None:
    await ctx.progress(5, "hanging")
    child_wait_at_gate(params.port, f"hang-{ctx.attempt}", timeout_s=120)


def register(catalog: Registry[PipelineSpec]) -> None:
    catalog.register("test_hang", _spec("test_hang", GateParams, run_hang, timeout_s=1))
