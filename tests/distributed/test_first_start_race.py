"""Several API nodes starting at once on a new PostgreSQL database: every node starts,
and there is exactly one first admin."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Connection, func, select
from tests.conftest import (
    POSTGRES_SERVER,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
)

from pictor.accounts.models import User
from pictor.db.migrate import upgrade
from pictor.runtime import build_runtime


def _admins(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).where(User.role == "admin")).scalar_one())


async def test_nodes_starting_together_all_start_with_one_admin(tmp_path: Path) -> None:
    for round_ in range(3):
        name = await create_postgres_database()
        url = f"{POSTGRES_SERVER}/{name}"
        await upgrade(url)
        nodes = [
            build_runtime(
                make_settings(tmp_path / f"r{round_}n{i}", url),
                run_workers=False,
                reconcile=False,
                run_services=False,
            )
            for i in range(3)
        ]
        try:
            await asyncio.gather(*(node.start(migrate=False) for node in nodes))
            created = [node.admin_key_created for node in nodes if node.admin_key_created]
            assert len(created) == 1
            assert await nodes[0].db.read(_admins) == 1
        finally:
            for node in nodes:
                await node.stop()
            await drop_postgres_database(name)
