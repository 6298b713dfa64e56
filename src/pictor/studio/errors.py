"""Errors of the studio (each with a stable code; statuses are decided in api/errors)."""

from __future__ import annotations

from pictor.errors import InvalidInput, NotFound


class SessionNotFound(NotFound):
    code = "session_not_found"


class MessageNotFound(NotFound):
    code = "message_not_found"


class ImageNotFound(NotFound):
    """An image id that is not one of the caller's artifacts (or was deleted)."""

    code = "image_not_found"


class NotAnImage(InvalidInput):
    """An artifact that is not an image (a ZIP brand kit, say) given as an image."""

    code = "not_an_image"
