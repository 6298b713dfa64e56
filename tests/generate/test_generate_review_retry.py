"""Backoff and Retry-After parsing of provider retries (issue-3 review)."""

from __future__ import annotations

import email.utils
import time

from pictor.engines.generate.retry import RetryPolicy, parse_retry_after


def test_backoff_doubles_per_attempt_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=10, backoff_base_s=1.0, backoff_max_s=8.0)
    for attempt, cap in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)):
        delays = [policy.backoff(attempt) for _ in range(200)]
        assert all(cap / 2 <= d <= cap for d in delays), (attempt, min(delays), max(delays))
        assert len(set(delays)) > 150, "jittered: clients that failed together spread out"


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8.0 <= (parse_retry_after(in_ten) or 0.0) <= 10.5
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert parse_retry_after(past) == 0.0
    for bad in (None, "", "soon", "Mon, 99 Foo 2020"):
        assert parse_retry_after(bad) is None
