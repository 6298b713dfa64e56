"""Structured logs: one JSON object per line, request/job ids attached, secrets scrubbed.

The request id is bound by ``pictor.observability.http.RequestContextMiddleware``; the job
id by ``bind_job`` around a job's execution. Both live in context variables, so they follow
the work across ``await`` and into threads started with ``asyncio.to_thread``/anyio.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

from pictor.errors import InvalidInput

request_id_var: ContextVar[str | None] = ContextVar("pictor_request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("pictor_job_id", default=None)

REDACTED = "[redacted]"

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)

# uvicorn's loggers get pictor's handler; "uvicorn.access" is silenced because
# "pictor.access" (the middleware) logs each request with its route template and id.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi")
_UVICORN_ACCESS = "uvicorn.access"


@contextmanager
def bind_job(job_id: str) -> Iterator[None]:
    """Attach ``job_id`` to every log line emitted inside the block."""
    token = job_id_var.set(job_id)
    try:
        yield
    finally:
        job_id_var.reset(token)


# --- redaction -------------------------------------------------------------------------

_SENSITIVE_WORDS = frozenset(
    {
        "authorization",
        "password",
        "passwd",
        "token",
        "secret",
        "signature",
        "sig",
        "cookie",
        "cookies",
        "apikey",
        "credential",
        "credentials",
    }
)
_KEY_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_API_KEY = re.compile(r"psk_[A-Za-z0-9_-]{40,}")
_SIG_PARAM = re.compile(r"([?&;]sig=)[^&#\s\"']*", re.IGNORECASE)
# ``key: value`` / ``key=value`` / ``"key": "value"`` in free text. Only keys that look
# sensitive are matched (so ``https://...?token=x`` is not swallowed as the pair "https"),
# then vetted by ``is_sensitive_key`` so ``tokens=5`` is left alone.
_KEY_VALUE = re.compile(
    r"(?i)(?P<key>(?<![\w.-])[\w.-]*?(?:auth|passw|token|secret|sig|cookie|key|credential)[\w.-]*)"
    r"(?P<sep>[\"']?\s*[:=]\s*)"
    r"(?P<val>\"[^\"]*\"|'[^']*'|(?:(?:Bearer|Basic)\s+)?(?:\[redacted\]|[^\s\"'&,;})\]]+))"
)
# ``('cookie', 'a=b')`` / ``(b'authorization', b'...')``: header lists as Python reprs.
_KEY_VALUE_TUPLE = re.compile(
    r"(?P<key>\(\s*b?(?P<q>[\"'])(?P<name>[^\"']+)(?P=q)\s*,\s*b?)(?P<val>\"[^\"]*\"|'[^']*')"
)


def is_sensitive_key(key: str) -> bool:
    """Whether a field/parameter named ``key`` holds a secret (``X-Api-Key``, ``access_token``)."""
    words = [w for w in _KEY_SPLIT.split(_CAMEL.sub("_", key).lower()) if w]
    if any(w in _SENSITIVE_WORDS for w in words):
        return True
    return ("api", "key") in itertools.pairwise(words)


def _redact_tuple(match: re.Match[str]) -> str:
    if not is_sensitive_key(match["name"]):
        return match[0]
    quote = match["val"][0]
    return f"{match['key']}{quote}{REDACTED}{quote}"


def _redact_pair(match: re.Match[str]) -> str:
    if not is_sensitive_key(match["key"]):
        return match[0]
    val = match["val"]
    quote = val[0] if val[:1] in ("'", '"') else ""
    return f"{match['key']}{match['sep']}{quote}{REDACTED}{quote}"


class RedactSecrets(logging.Filter):
    """Scrub secrets from a record's message, args, exception text and ``extra=`` fields.

    Attach it to handlers (not loggers): handler filters see records propagated from every
    child logger. Redaction is idempotent, so a record passing two such handlers is fine.
    """

    def __init__(self, secrets: Iterable[str] = (), name: str = "") -> None:
        super().__init__(name)
        # Very short "secrets" would shred every log line; settings validation refuses
        # them anyway. Longest first so a secret containing another is removed whole.
        self._literals = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact_text(self, text: str) -> str:
        for literal in self._literals:
            text = text.replace(literal, REDACTED)
        text = _API_KEY.sub(REDACTED, text)
        text = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)
        text = _SIG_PARAM.sub(lambda m: f"{m[1]}{REDACTED}", text)
        text = _KEY_VALUE_TUPLE.sub(_redact_tuple, text)
        return _KEY_VALUE.sub(_redact_pair, text)

    def redact_value(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, dict):
            return {
                k: REDACTED if is_sensitive_key(str(k)) else self.redact_value(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(v) for v in value]
        # Arbitrary objects are rendered now, so their str() cannot leak later.
        return self.redact_text(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            # Render once and drop the args: a secret can hide in any arg's repr.
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = f"{record.msg} {record.args!r}"
            record.msg, record.args = self.redact_text(message), None
        elif isinstance(record.msg, str):
            record.msg = self.redact_text(record.msg)
        else:
            record.msg = self.redact_value(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact_text(record.stack_info)
        for key in _extra_keys(record):
            value = record.__dict__[key]
            record.__dict__[key] = REDACTED if is_sensitive_key(key) else self.redact_value(value)
        return True


def _extra_keys(record: logging.LogRecord) -> list[str]:
    return [k for k in record.__dict__ if k not in _RECORD_ATTRS and not k.startswith("_")]


# --- formatters ------------------------------------------------------------------------


def _timestamp(record: logging.LogRecord) -> str:
    when = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _context_ids(record: logging.LogRecord) -> dict[str, str]:
    # An explicit ``extra={"job_id": ...}`` wins over the ambient context.
    ids: dict[str, str] = {}
    for key, var in (("request_id", request_id_var), ("job_id", job_id_var)):
        value = record.__dict__.get(key) or var.get()
        if value:
            ids[key] = str(value)
    return ids


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, ids, exc, and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {k: record.__dict__[k] for k in _extra_keys(record)}
        payload.update(
            ts=_timestamp(record),
            level=record.levelname,
            logger=record.name,
            message=record.getMessage(),
        )
        payload.update(_context_ids(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = record.exc_text
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """Readable single-line format for a terminal: time level logger [ids] message k=v..."""

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={v}" for k, v in _context_ids(record).items())
        extras = " ".join(
            f"{k}={record.__dict__[k]}"
            for k in _extra_keys(record)
            if k not in ("request_id", "job_id")
        )
        parts = [_timestamp(record), f"{record.levelname:<7}", record.name]
        if ids:
            parts.append(f"[{ids}]")
        parts.append(record.getMessage())
        if extras:
            parts.append(extras)
        line = " ".join(parts)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line = f"{line}\n{record.exc_text}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


# --- configuration ---------------------------------------------------------------------


class _PictorHandler(logging.StreamHandler[TextIO]):
    """Marks the handler configure_logging installed, so a second call replaces it."""


def _level_number(level: str) -> int:
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise InvalidInput(f"unknown log level {level!r}", code="invalid_log_level")
    return number


def configure_logging(
    level: str = "INFO",
    json: bool = True,
    secrets: Iterable[str] = (),
    *,
    stream: TextIO | None = None,
) -> None:
    """Route root and uvicorn logs through one redacting handler (JSON or console).

    Idempotent: calling again replaces pictor's handler instead of adding a second one;
    handlers installed by others (pytest's capture, say) are left alone. ``stream``
    defaults to stderr. Run uvicorn with ``log_config=None`` so it does not undo this.
    """
    number = _level_number(level)
    handler = _PictorHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if json else ConsoleFormatter())
    handler.addFilter(RedactSecrets(secrets))

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _PictorHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(number)

    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.NOTSET)
    access = logging.getLogger(_UVICORN_ACCESS)
    access.handlers.clear()
    access.propagate = True
    access.setLevel(logging.WARNING)
