"""The gallery's rules: listing, trash, restore, deletion for good, thumbnails made once."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pictor.artifacts.models import Artifact
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.gallery.errors import GalleryItemNotFound, InvalidCursor, NotDeleted, NoThumbnail
from pictor.gallery.repository import (
    GalleryFilter,
    GalleryRepository,
    Position,
    RemovedBlobs,
)
from pictor.gallery.settings import GallerySettings
from pictor.gallery.thumbnails import can_thumbnail, render_thumbnail, thumbnail_key
from pictor.storage.base import BlobStore

log = logging.getLogger("pictor.gallery")


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Artifact]
    next_cursor: str | None


def encode_cursor(position: Position) -> str:
    raw = json.dumps([position.at.isoformat(), position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, item_id = json.loads(raw)
        position = Position(datetime.fromisoformat(at), str(item_id))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor("the cursor is not one this API returned", field="cursor") from None
    if position.at.tzinfo is None:
        raise InvalidCursor("the cursor is not one this API returned", field="cursor")
    return position


class GalleryService:
    """One per process: it also remembers the thumbnails being made right now."""

    def __init__(self, db: Database, store: BlobStore, settings: GallerySettings) -> None:
        self.db = db
        self.store = store
        self.settings = settings
        #: Thumbnails encoded by this process (tests check "made once" with it).
        self.thumbnails_made = 0
        self._making: dict[str, asyncio.Task[str]] = {}
        #: Keys of thumbnails this process made and recorded, by item id.
        self._made: dict[str, str] = {}

    def purge_at(self, item: Artifact) -> datetime | None:
        """When an item in the trash goes for good."""
        if item.deleted_at is None:
            return None
        return item.deleted_at + timedelta(days=self.settings.trash_days)

    async def page(
        self, owner_id: str, filters: GalleryFilter, cursor: str | None, limit: int
    ) -> Page:
        after = decode_cursor(cursor)
        async with self.db.read_session() as session:
            rows = await GalleryRepository(session).page(owner_id, filters, after, limit + 1)
        return _page(rows, limit, lambda item: item.created_at)

    async def trash(self, owner_id: str, cursor: str | None, limit: int) -> Page:
        after = decode_cursor(cursor)
        async with self.db.read_session() as session:
            rows = await GalleryRepository(session).trash_page(owner_id, after, limit + 1)
        return _page(rows, limit, lambda item: item.deleted_at or item.created_at)

    async def get(self, owner_id: str, item_id: str) -> Artifact:
        """A live item or one in the trash."""
        async with self.db.read_session() as session:
            item = await GalleryRepository(session).item(owner_id, item_id)
        if item is None:
            raise GalleryItemNotFound(f"no gallery item {item_id}")
        return item

    async def move_to_trash(self, owner_id: str, item_id: str, now: datetime | None = None) -> None:
        """Idempotent: an item already in the trash keeps the time it went there."""
        async with self.db.session() as session:
            found = await GalleryRepository(session).move_to_trash(
                owner_id, item_id, now or utcnow()
            )
        if not found:
            raise GalleryItemNotFound(f"no gallery item {item_id}")

    async def restore(self, owner_id: str, item_id: str) -> Artifact:
        async with self.db.session() as session:
            restored = await GalleryRepository(session).restore(owner_id, item_id)
        if not restored:
            await self.get(owner_id, item_id)  # 404 if it is not the caller's
            raise NotDeleted(f"gallery item {item_id} is not in the trash")
        return await self.get(owner_id, item_id)

    async def delete_permanently(self, owner_id: str, item_id: str) -> None:
        """The row goes in one transaction, then its file and thumbnail leave storage."""
        async with self.db.session() as session:
            removed = await GalleryRepository(session).remove(owner_id, item_id)
        if removed is None:
            raise GalleryItemNotFound(f"no gallery item {item_id}")
        await self._delete_blobs(removed)

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete for good every item in the trash for longer than ``trash_days``."""
        cutoff = (now or utcnow()) - timedelta(days=self.settings.trash_days)
        total = 0
        while True:
            async with self.db.session() as session:
                removed = await GalleryRepository(session).remove_expired(
                    cutoff, self.settings.purge_batch
                )
            for blobs in removed:
                await self._delete_blobs(blobs)
            total += len(removed)
            if len(removed) < self.settings.purge_batch:
                return total

    async def thumbnail(self, item: Artifact) -> str:
        """The blob key of the item's thumbnail, made now if it was never made.

        Concurrent requests for one item in this process share one encoding; across
        processes the key is the same and the first recorded one stays.
        """
        if item.thumbnail_key is not None:
            return item.thumbnail_key
        if not can_thumbnail(item.content_type):
            raise NoThumbnail(f"no thumbnail for a {item.content_type} file")
        made = self._made.get(item.id)
        if made is not None:
            # Made by a request that read the row before this one's thumbnail was recorded.
            return made
        task = self._making.get(item.id)
        if task is None:
            task = asyncio.ensure_future(self._make_thumbnail(item))
            self._making[item.id] = task
            task.add_done_callback(lambda _: self._making.pop(item.id, None))
        # Shielded: a client that goes away does not cancel the others' thumbnail.
        return await asyncio.shield(task)

    async def _make_thumbnail(self, item: Artifact) -> str:
        data = await self.store.get_bytes(item.storage_key)
        px = self.settings.thumbnail_px
        webp = await asyncio.to_thread(render_thumbnail, data, item.content_type, px)
        key = thumbnail_key(item.owner_id, item.id)
        await self.store.put_bytes(key, webp, "image/webp")
        self.thumbnails_made += 1
        async with self.db.session() as session:
            recorded = await GalleryRepository(session).record_thumbnail(item.id, key)
        if recorded is None:
            # Deleted for good while we worked: take the new file away too.
            await self.store.delete(key)
            raise GalleryItemNotFound(f"no gallery item {item.id}")
        if len(self._made) >= 10_000:
            self._made.clear()
        self._made[item.id] = recorded
        return recorded

    async def _delete_blobs(self, removed: RemovedBlobs) -> None:
        # A thumbnail being made right now is not recorded yet, but its key is known.
        keys = {removed.storage_key, thumbnail_key(removed.owner_id, removed.id)}
        if removed.thumbnail_key is not None:
            keys.add(removed.thumbnail_key)
        for key in sorted(keys):
            try:
                await self.store.delete(key)
            except Exception:
                # The row is gone; a file left behind is logged, never resurrected.
                log.exception("could not delete blob %s of gallery item %s", key, removed.id)


def _page(rows: list[Artifact], limit: int, sort_time: Callable[[Artifact], datetime]) -> Page:
    items = rows[:limit]
    if len(rows) <= limit:
        return Page(items, None)
    last = items[-1]
    return Page(items, encode_cursor(Position(sort_time(last), last.id)))
