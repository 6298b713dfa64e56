"""Every query of the gallery: output artifacts of one owner, live or in the trash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.artifacts.models import Artifact
from pictor.gallery.describe import fold

ARTIFACTS = cast(Table, Artifact.__table__)


@dataclass(frozen=True, slots=True)
class GalleryFilter:
    kind: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    #: Text the prompt must contain, any case.
    q: str | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the last item's sort time (created or deleted) and id."""

    at: datetime
    id: str


@dataclass(frozen=True, slots=True)
class RemovedBlobs:
    """The blob keys of a row just deleted, to remove from storage after commit."""

    id: str
    owner_id: str
    storage_key: str
    thumbnail_key: str | None


_REMOVED = (Artifact.id, Artifact.owner_id, Artifact.storage_key, Artifact.thumbnail_key)


def _in_gallery(owner_id: str) -> ColumnElement[bool]:
    return and_(
        Artifact.owner_id == owner_id, Artifact.role == "output", Artifact.kind.is_not(None)
    )


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern whose escape character is ``\\``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _after(column: Any, position: Position | None) -> ColumnElement[bool] | None:
    if position is None:
        return None
    return or_(column < position.at, and_(column == position.at, Artifact.id < position.id))


class GalleryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, owner_id: str, filters: GalleryFilter, after: Position | None, limit: int
    ) -> list[Artifact]:
        """Live items, newest first (by creation time, then id)."""
        query = select(Artifact).where(_in_gallery(owner_id), Artifact.deleted_at.is_(None))
        if filters.kind is not None:
            query = query.where(Artifact.kind == filters.kind)
        if filters.created_after is not None:
            query = query.where(Artifact.created_at >= filters.created_after)
        if filters.created_before is not None:
            query = query.where(Artifact.created_at < filters.created_before)
        if filters.q:
            pattern = f"%{escape_like(fold(filters.q))}%"
            query = query.where(Artifact.search_text.like(pattern, escape="\\"))
        if (cursor := _after(Artifact.created_at, after)) is not None:
            query = query.where(cursor)
        query = query.order_by(Artifact.created_at.desc(), Artifact.id.desc()).limit(limit)
        return list(await self.session.scalars(query))

    async def trash_page(self, owner_id: str, after: Position | None, limit: int) -> list[Artifact]:
        """Items in the trash, most recently deleted first."""
        query = select(Artifact).where(_in_gallery(owner_id), Artifact.deleted_at.is_not(None))
        if (cursor := _after(Artifact.deleted_at, after)) is not None:
            query = query.where(cursor)
        query = query.order_by(Artifact.deleted_at.desc(), Artifact.id.desc()).limit(limit)
        return list(await self.session.scalars(query))

    async def item(self, owner_id: str, item_id: str) -> Artifact | None:
        """One item of ``owner_id``, live or in the trash."""
        return await self.session.scalar(
            select(Artifact).where(_in_gallery(owner_id), Artifact.id == item_id)
        )

    async def move_to_trash(self, owner_id: str, item_id: str, now: datetime) -> bool:
        """True if the item is in the trash now (moved, or already there)."""
        result = await self.session.execute(
            update(Artifact)
            .where(_in_gallery(owner_id), Artifact.id == item_id, Artifact.deleted_at.is_(None))
            .values(deleted_at=now)
            .returning(Artifact.id)
        )
        if result.first() is not None:
            return True
        return await self.item(owner_id, item_id) is not None

    async def restore(self, owner_id: str, item_id: str) -> bool:
        """True if the item was in the trash and is live again."""
        result = await self.session.execute(
            update(Artifact)
            .where(_in_gallery(owner_id), Artifact.id == item_id, Artifact.deleted_at.is_not(None))
            .values(deleted_at=None)
            .returning(Artifact.id)
        )
        return result.first() is not None

    async def remove(self, owner_id: str, item_id: str) -> RemovedBlobs | None:
        """Delete the row (live or in the trash); None if the owner has no such item."""
        result = await self.session.execute(
            delete(Artifact)
            .where(_in_gallery(owner_id), Artifact.id == item_id)
            .returning(*_REMOVED)
        )
        row = result.first()
        return None if row is None else RemovedBlobs(*row)

    async def remove_expired(self, deleted_before: datetime, limit: int) -> list[RemovedBlobs]:
        """Delete up to ``limit`` rows in the trash since before ``deleted_before``.

        The condition is checked again by the DELETE itself, so an item restored
        between the two statements stays.
        """
        expired = (
            select(Artifact.id)
            .where(Artifact.kind.is_not(None), Artifact.deleted_at < deleted_before)
            .order_by(Artifact.deleted_at)
            .limit(limit)
        )
        ids = list(await self.session.scalars(expired))
        if not ids:
            return []
        result = await self.session.execute(
            delete(Artifact)
            .where(Artifact.id.in_(ids), Artifact.deleted_at < deleted_before)
            .returning(*_REMOVED)
        )
        return [RemovedBlobs(*row) for row in result]

    async def record_thumbnail(self, item_id: str, key: str) -> str | None:
        """Record ``key`` unless a thumbnail is recorded already; the key now on the row.

        None when the row is gone (the item was deleted for good meanwhile).
        """
        await self.session.execute(
            update(Artifact)
            .where(Artifact.id == item_id, Artifact.thumbnail_key.is_(None))
            .values(thumbnail_key=key)
        )
        recorded: str | None = await self.session.scalar(
            select(Artifact.thumbnail_key).where(Artifact.id == item_id)
        )
        return recorded
