"""The error hierarchy. Every error a client can cause has a stable ``code``.

This module knows nothing of HTTP: ``api/errors.py`` maps codes to statuses once.
"""

from __future__ import annotations

from typing import Any


class PictorError(Exception):
    """Base of every error pictor raises on purpose."""

    code: str = "internal_error"
    #: Whether retrying the same work later may succeed (network blips, busy engines).
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(PictorError):
    """The client sent something we cannot use (bad params, unknown names)."""

    code = "invalid_input"


class InvalidImage(InvalidInput):
    """An image failed validation; ``code`` says how (``unsupported_format``, ...)."""

    code = "invalid_image"


class NotFound(PictorError):
    code = "not_found"


class Conflict(PictorError):
    code = "conflict"


class Unauthorized(PictorError):
    code = "unauthorized"


class Forbidden(PictorError):
    code = "forbidden"


class EngineUnavailable(PictorError):
    """An engine was asked for but is not configured or cannot load."""

    code = "engine_unavailable"


class TransientError(PictorError):
    """Something outside our control failed; the job may be retried."""

    code = "transient_error"
    transient = True


class StorageUnavailable(TransientError):
    code = "storage_unavailable"


class JobCanceled(PictorError):
    """Raised inside a running pipeline at a progress point after a cancel request."""

    code = "job_canceled"


class JobTimeout(PictorError):
    code = "job_timeout"
