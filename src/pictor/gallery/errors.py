"""Errors of the gallery."""

from __future__ import annotations

from pictor.errors import Conflict, InvalidInput, NotFound


class GalleryItemNotFound(NotFound):
    """No such item of the caller (never someone else's: that is "not found" too)."""

    code = "gallery_item_not_found"


class NotDeleted(Conflict):
    """Restore was asked for an item that is not in the trash."""

    code = "not_deleted"


class NoThumbnail(NotFound):
    """The item is not an image a thumbnail can be made of (a ZIP, a text file)."""

    code = "thumbnail_unavailable"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
