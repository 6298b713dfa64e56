"""The one place errors become HTTP: a status per code, one JSON shape."""

from __future__ import annotations

import logging
import re
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pictor.db.engine import is_connection_error
from pictor.errors import (
    Conflict,
    EngineUnavailable,
    Forbidden,
    InvalidInput,
    NotFound,
    PictorError,
    TransientError,
    Unauthorized,
)

log = logging.getLogger("pictor.api")
M = TypeVar("M", bound=BaseModel)

STATUS_BY_CODE: dict[str, int] = {
    "file_too_large": 413,
    "request_too_large": 413,
    "unsupported_format": 415,
    "invalid_signature": 403,
    "signature_expired": 403,
    "engine_unavailable": 422,
    "invalid_model": 503,
    "storage_unavailable": 503,
    "database_unavailable": 503,
    "rate_limited": 429,
    "insufficient_credits": 402,
    "job_timeout": 504,
    "job_canceled": 409,
    "input_missing": 422,
    "unsupported_image_layout": 422,
    "worker_lost": 503,
}

STATUS_BY_CLASS: list[tuple[type[PictorError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (EngineUnavailable, 422),
    (InvalidInput, 422),
    (TransientError, 503),
]

#: Codes given where they are raised (``Conflict(..., code="cannot_deactivate_self")``)
#: rather than by a class of their own: the class they are raised as, so that a code
#: known alone (a failed job's error) answers the status the error itself would.
#: tests/api/test_error_statuses.py walks every raise in the code base to keep it whole.
CLASS_BY_CODE: dict[str, type[PictorError]] = {
    "invalid_request": InvalidInput,
    "invalid_email": InvalidInput,
    "invalid_date_range": InvalidInput,
    "invalid_log_level": InvalidInput,
    "mask_missing": InvalidInput,
    "cannot_deactivate_self": Conflict,
    "studio_unavailable": TransientError,
}


def _error_classes(cls: type[PictorError] = PictorError) -> list[type[PictorError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_error_classes(sub))
    return found


def _status(code: str, cls: type[PictorError]) -> int:
    if code in STATUS_BY_CODE:
        return STATUS_BY_CODE[code]
    return next((status for k, status in STATUS_BY_CLASS if issubclass(cls, k)), 500)


def status_for_code(code: str) -> int:
    """The status of an error known only by its code (a failed job's error, say): the
    one ``status_for`` gives the error raised with that code."""
    cls = CLASS_BY_CODE.get(code)
    if cls is None:
        cls = next((c for c in _error_classes() if c.__dict__.get("code") == code), PictorError)
    return _status(code, cls)


def status_for(error: PictorError) -> int:
    return _status(error.code, type(error))


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return {"error": body}


_LOCATIONS = frozenset({"body", "query", "path", "header"})
# Pydantic names the branch of a plain union it tried inside the location
# (``function-after[_exactly_one(), ImageInput]``, ``list[...]``); clients never wrote it.
_UNION_BRANCH = re.compile(r"[a-z][a-z-]*\[.*\]")


def _field_path(loc: tuple[Any, ...], union_tags: frozenset[str] = frozenset()) -> str:
    """``("body", "remove_background", "params", "x")`` → ``"params.x"``.

    The tag of a discriminated union (the job kind) is part of pydantic's location but
    not of the client's JSON, so it is dropped.
    """
    parts = [str(p) for p in loc if p not in _LOCATIONS and not _UNION_BRANCH.fullmatch(str(p))]
    if len(loc) > 1 and loc[0] == "body" and parts and parts[0] in union_tags:
        parts = parts[1:]
    return ".".join(parts)


async def pictor_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PictorError)
    status = status_for(exc)
    if status >= 500:
        log.error("request failed: %s", exc.code)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": exc.to_dict()}, status_code=status, headers=headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    tags: frozenset[str] = getattr(request.app.state, "union_tags", frozenset())
    errors = exc.errors()
    # The deepest error is the most specific: for a union input it is the branch that
    # nearly matched, not "Input should be a valid list" from the branch that did not.
    deepest = max(errors, key=lambda e: len(e.get("loc", ())), default=None)
    first: dict[str, Any] = dict(deepest) if deepest else {"loc": (), "msg": "invalid request"}
    field = _field_path(tuple(first.get("loc", ())), tags)
    discriminator = str((first.get("ctx") or {}).get("discriminator", "")).strip("'")
    if discriminator and str(first.get("type", "")).startswith("union_tag"):
        field = ".".join(filter(None, [field, discriminator]))
    message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    details = [
        {"field": _field_path(tuple(e.get("loc", ())), tags), "message": str(e.get("msg"))}
        for e in errors
    ]
    return JSONResponse(
        error_body("invalid_request", message, field or None, details=details), status_code=422
    )


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthorized",
        413: "request_too_large",
    }
    code = codes.get(exc.status_code, f"http_{exc.status_code}")
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    if is_connection_error(exc):
        # A path that used the engine directly: the database is down, not a bug.
        log.error("request failed: database_unavailable (%s)", type(exc).__name__)
        body = error_body("database_unavailable", "the database is unavailable; try again")
        return JSONResponse(body, status_code=503)
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal error"), status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PictorError, pictor_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    # Caught here (not by the catch-all, which re-raises after answering): driver errors.
    app.add_exception_handler(DBAPIError, unexpected_error)
    app.add_exception_handler(OSError, unexpected_error)
    app.add_exception_handler(Exception, unexpected_error)


def validate_params(model: type[M], data: Any) -> M:
    """Validate fields that did not come as a JSON body (forms, queries) into ``model``,
    with the first problem as ``invalid_request`` naming its field, like JSON bodies get."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = f"{field}: {first['msg']}" if field else str(first["msg"])
        raise InvalidInput(message, code="invalid_request", field=field) from None
