"""The fault suite's deployment: one per module, shared by its scenarios in order.

Run it with ``./scripts/test-faults`` (or ``pytest -m faults tests/faults``); the
default test run leaves it out (``-m "not faults"`` in pyproject's addopts).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest
from tests.faults.deployment import Deployment, new_root

from pictor.config import Settings
from pictor.db.migrate import upgrade
from pictor.runtime import Runtime, build_runtime


def settings_from_env(env: dict[str, str]) -> Settings:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Settings(_env_file=None)  # type: ignore[call-arg]
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
async def deployment() -> AsyncIterator[Deployment]:
    root = new_root()
    deployment = Deployment(root, secrets.token_urlsafe(24))
    failed = True
    try:
        deployment.start_services()
        # Once, before the nodes: each of them migrates at start too (a no-op then).
        await upgrade(deployment.postgres.url())
        deployment.start_nodes()
        failed = False
        yield deployment
    finally:
        if failed:
            print(deployment.logs_text())
        deployment.close()
        if os.environ.get("PICTOR_FAULTS_KEEP") is None:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"fault suite files kept in {root}")


@pytest.fixture(scope="module")
async def observer(deployment: Deployment) -> AsyncIterator[Runtime]:
    """A runtime in this process on the deployment's database and bucket: users,
    reads and the audits (it runs no jobs, no reconciler, no background services)."""
    runtime = build_runtime(
        settings_from_env(deployment.env), run_workers=False, reconcile=False, run_services=False
    )
    await runtime.start(migrate=False)
    try:
        yield runtime
    finally:
        await runtime.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[Any]:
    report = yield
    funcargs = getattr(item, "funcargs", {})
    if report.failed and isinstance(funcargs.get("deployment"), Deployment):
        report.sections.append(("deployment logs", funcargs["deployment"].logs_text()))
    return report
