from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pictor.errors import InvalidInput
from pictor.observability.logging import (
    REDACTED,
    JsonFormatter,
    RedactSecrets,
    bind_job,
    configure_logging,
    job_id_var,
    request_id_var,
)

SIGNING_SECRET = "whsec-configured-signing-secret-0042"
API_KEY = "psk_" + "Zq9_-x" * 8  # 48 url-safe chars after the prefix
BEARER = "eyJhbGciOiJIUzI1NiJ9.payload.sig-nature"
URL_SIG = "c2lnbmF0dXJlLXZhbHVl_-"


def _capture(secrets: tuple[str, ...] = ()) -> tuple[logging.Logger, io.StringIO]:
    """A private logger writing JSON through the redaction filter into a StringIO."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(secrets))
    log = logging.getLogger(f"pictor.test.{uuid.uuid4().hex}")
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log, out


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_record_is_one_json_line_with_core_fields() -> None:
    log, out = _capture()
    log.info("hello %s", "world")
    log.warning("multi\nline")

    first, second = _lines(out)
    assert first["message"] == "hello world"
    assert first["level"] == "INFO"
    assert first["logger"] == log.name
    assert isinstance(first["ts"], str) and first["ts"].endswith("Z")
    assert "request_id" not in first and "job_id" not in first
    assert second["message"] == "multi\nline"


def test_request_and_job_ids_come_from_context() -> None:
    log, out = _capture()
    token = request_id_var.set("req_abc")
    try:
        log.info("outside job")
        with bind_job("job_123"):
            log.info("inside job")
        log.info("after job")
    finally:
        request_id_var.reset(token)

    outside, inside, after = _lines(out)
    assert outside["request_id"] == "req_abc" and "job_id" not in outside
    assert inside["request_id"] == "req_abc" and inside["job_id"] == "job_123"
    assert "job_id" not in after
    assert job_id_var.get() is None


def test_extra_fields_and_exception_text_are_included() -> None:
    log, out = _capture()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed", extra={"kind": "remove_bg", "attempt": 2, "path": Path("/a/b")})

    (line,) = _lines(out)
    assert line["kind"] == "remove_bg"
    assert line["attempt"] == 2
    assert line["path"] == "/a/b"
    assert "RuntimeError: boom" in str(line["exc"])
    assert line["level"] == "ERROR"


def test_secrets_never_reach_the_output() -> None:
    log, out = _capture(secrets=(SIGNING_SECRET,))
    log.info("incoming Authorization: Bearer %s", BEARER)
    log.info("created key %s for user", API_KEY)
    log.info("download GET /v1/files/out.png?exp=1700000000&sig=%s", URL_SIG)
    log.info("signing with %s", SIGNING_SECRET)
    log.info("login", extra={"password": "hunter2-hunter2", "user": "ann"})
    log.info("headers %s", {"Authorization": f"Bearer {BEARER}", "X-Api-Key": API_KEY})
    log.info("asgi headers %r", [(b"cookie", b"session=s3ss10nvalue"), (b"host", b"x")])
    log.info("nested", extra={"request": {"headers": {"authorization": "Basic dXNlcjpwYXNz"}}})
    try:
        raise ValueError(f"provider rejected token={BEARER} for {SIGNING_SECRET}")
    except ValueError:
        log.exception("provider call failed")

    text = out.getvalue()
    for secret in (
        BEARER,
        API_KEY,
        URL_SIG,
        SIGNING_SECRET,
        "hunter2",
        "s3ss10nvalue",
        "dXNlcjpwYXNz",
    ):
        assert secret not in text, secret
    lines = _lines(out)
    assert len(lines) == 9
    # What is not secret survives, so the logs stay useful.
    assert "/v1/files/out.png?exp=1700000000&sig=[redacted]" in str(lines[2]["message"])
    assert lines[4]["user"] == "ann" and lines[4]["password"] == REDACTED
    assert "(b'host', b'x')" in str(lines[6]["message"])
    assert "ValueError: provider rejected" in str(lines[8]["exc"])


def test_ordinary_pairs_are_not_redacted() -> None:
    log, out = _capture()
    log.info("usage status=200 prompt_tokens=57 kind=logo https://example.test/a?page=2")
    (line,) = _lines(out)
    assert (
        line["message"]
        == "usage status=200 prompt_tokens=57 kind=logo https://example.test/a?page=2"
    )


@pytest.fixture
def restore_logging() -> Iterator[None]:
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
    saved = {
        n: (list(lg.handlers), lg.level, lg.propagate)
        for n in names
        for lg in [logging.getLogger(n)]
    }
    yield
    for n, (handlers, level, propagate) in saved.items():
        lg = logging.getLogger(n)
        lg.handlers = handlers
        lg.setLevel(level)
        lg.propagate = propagate


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_is_idempotent_and_routes_uvicorn() -> None:
    first, out = io.StringIO(), io.StringIO()
    configure_logging("DEBUG", secrets=[SIGNING_SECRET], stream=first)
    configure_logging("INFO", secrets=[SIGNING_SECRET], stream=out)

    logging.getLogger("pictor.somewhere").info("secret is %s", SIGNING_SECRET)
    logging.getLogger("pictor.somewhere").debug("below the level")
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /x?sig=abc HTTP/1.1" 200')

    assert first.getvalue() == ""
    lines = _lines(out)
    assert [line["logger"] for line in lines] == ["pictor.somewhere", "uvicorn.error"]
    assert lines[0]["message"] == f"secret is {REDACTED}"


@pytest.mark.usefixtures("restore_logging")
def test_console_format_is_readable_and_still_redacted() -> None:
    out = io.StringIO()
    configure_logging("INFO", json=False, secrets=[SIGNING_SECRET], stream=out)
    with bind_job("job_9"):
        logging.getLogger("pictor.console").info(
            "using %s", SIGNING_SECRET, extra={"token": "t0ps3cr3t"}
        )

    text = out.getvalue()
    assert SIGNING_SECRET not in text and "t0ps3cr3t" not in text
    assert "INFO" in text and "pictor.console" in text and "job_id=job_9" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_unknown_level_is_refused() -> None:
    with pytest.raises(InvalidInput):
        configure_logging("LOUD")
