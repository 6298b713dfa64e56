"""Storage audit: every artifact row has its blob, and every blob its row.

Blobs are written by jobs (outputs), uploads and the gallery (thumbnails); each one is
named by exactly one ``artifacts`` row: its ``storage_key`` or its ``thumbnail_key``.
Rows in the trash keep their blobs until they are purged, so they count as rows.

The fault suite runs ``check`` after each scenario, when no job is running: during work
a blob briefly exists before its row (outputs are stored, then recorded at success), so a
live system can show passing orphans. A worker killed in that window leaves a real
orphan: ``orphan_keys`` then, later, ``remove_orphans`` reclaim them (mark and sweep).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pictor.artifacts.models import Artifact
from pictor.storage.base import BlobStore

#: At most this many problems of each kind are listed (an empty bucket would list all).
MAX_REPORTED = 50


async def check(conn: AsyncConnection, store: BlobStore) -> list[str]:
    """Problems found, one sentence each; an empty list means rows and blobs agree."""
    wanted = await _keys_of_rows(conn)
    stored = {key async for key in store.list_keys()}
    missing = sorted(set(wanted) - stored)
    orphans = sorted(stored - set(wanted))
    problems = [f"{wanted[key]}: its blob {key!r} is missing" for key in missing[:MAX_REPORTED]]
    problems += [f"blob {key!r} has no artifact row" for key in orphans[:MAX_REPORTED]]
    for count, what in ((len(missing), "missing blobs"), (len(orphans), "orphan blobs")):
        if count > MAX_REPORTED:
            problems.append(f"... {count - MAX_REPORTED} more {what}")
    return problems


async def orphan_keys(conn: AsyncConnection, store: BlobStore) -> list[str]:
    """Keys of the blobs no artifact row names, sorted."""
    wanted = await _keys_of_rows(conn)
    return sorted({key async for key in store.list_keys()}.difference(wanted))


async def remove_orphans(
    conn: AsyncConnection, store: BlobStore, candidates: Iterable[str]
) -> list[str]:
    """Delete the ``candidates`` that still have no row; return the keys deleted.

    Mark and sweep, for the outputs of a job attempt killed before its success wrote
    their rows: take ``orphan_keys`` once, and pass them here after longer than any job
    can run (its time limit plus the lease margin), so the outputs of a job running now,
    which have no row yet either, are never taken.
    """
    wanted = await _keys_of_rows(conn)
    removed = []
    for key in sorted(set(candidates).difference(wanted)):
        await store.delete(key)
        removed.append(key)
    return removed


async def _keys_of_rows(conn: AsyncConnection) -> dict[str, str]:
    """Every blob key a row names, with what names it."""
    rows = await conn.execute(
        select(Artifact.id, Artifact.storage_key, Artifact.thumbnail_key).order_by(Artifact.id)
    )
    keys: dict[str, str] = {}
    for artifact_id, storage_key, thumbnail_key in rows:
        keys[storage_key] = f"artifact {artifact_id}"
        if thumbnail_key is not None:
            keys[thumbnail_key] = f"thumbnail of artifact {artifact_id}"
    return keys
