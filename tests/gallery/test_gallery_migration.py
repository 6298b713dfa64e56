"""Migration 0007: the artifacts table matches the model; older outputs join the gallery."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from pictor.db.base import Base
from pictor.db.migrate import upgrade_sync
from pictor.runtime import Runtime


async def test_the_migrated_artifacts_table_matches_the_model(runtime: Runtime) -> None:
    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return [d for d in compare_metadata(context, Base.metadata) if "artifacts" in repr(d)]

    async with runtime.db.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


def test_outputs_made_before_the_gallery_get_their_kind_and_prompt(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}", "0006")
    db = sqlite3.connect(path)
    now = "2026-01-01 00:00:00.000000"
    db.execute(
        "INSERT INTO users (id, email, role, is_active, created_at) VALUES (?, ?, ?, 1, ?)",
        ("usr_old", "old@example.com", "user", now),
    )
    jobs = [
        ("job_gen", "generate", {"prompt": "A Red Fox at dawn"}),
        ("job_logo", "logo", {"business_name": "Golden Crust", "business_type": "bakery"}),
        ("job_cut", "remove_background", {}),
    ]
    for job_id, kind, params in jobs:
        db.execute(
            "INSERT INTO jobs (id, owner_id, kind, status, inputs, params, cost, progress,"
            " stage, attempts, max_attempts, result, event_seq, created_at)"
            " VALUES (?, 'usr_old', ?, 'succeeded', '[]', ?, 1, 100, '', 1, 1, '{}', 3, ?)",
            (job_id, kind, json.dumps(params), now),
        )
    artifacts = [
        ("art_gen", "job_gen", "output", {}),
        ("art_logo", "job_logo", "output", {"variant": 1}),
        ("art_cut", "job_cut", "output", {}),
        ("art_preview", "job_gen", "output", {"role": "thumbnail"}),
        ("art_upload", None, "upload", {}),
    ]
    for artifact_id, job_id, role, meta in artifacts:
        db.execute(
            "INSERT INTO artifacts (id, owner_id, job_id, role, storage_key, filename,"
            " content_type, size, sha256, meta, created_at)"
            " VALUES (?, 'usr_old', ?, ?, ?, '', 'image/png', 1, '', ?, ?)",
            (artifact_id, job_id, role, f"usr_old/{artifact_id}.png", json.dumps(meta), now),
        )
    db.commit()
    db.close()

    upgrade_sync(f"sqlite+aiosqlite:///{path}", "0007")
    db = sqlite3.connect(path)
    rows = {
        row[0]: row[1:]
        for row in db.execute("SELECT id, kind, prompt, search_text, thumbnail_key FROM artifacts")
    }
    db.close()
    assert rows == {
        "art_gen": ("generate", "A Red Fox at dawn", "a red fox at dawn", None),
        "art_logo": ("logo", "Golden Crust — bakery", "golden crust — bakery", None),
        "art_cut": ("remove_background", None, None, None),
        "art_preview": (None, None, None, None),
        "art_upload": (None, None, None, None),
    }
