"""A batch's progress is 100 only once every item has ended."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pictor.batches.queries import BatchRecord, BatchView, Tally
from pictor.jobs.models import JobStatus


def view(item_count: int, counts: dict[str, int], progress_sum: int) -> BatchView:
    record = BatchRecord(
        id="bat_1",
        owner_id="usr_1",
        status="running",
        item_count=item_count,
        job_ids=[],
        discount=0.0,
        list_price=0,
        total_cost=0,
        webhook_url=None,
        webhook_events=None,
        idempotency_key=None,
        request_hash=None,
        created_at=datetime.now(UTC),
        finished_at=None,
        canceled_at=None,
    )
    return BatchView(record, Tally(counts=counts, progress_sum=progress_sum))


@pytest.mark.parametrize(
    ("item_count", "counts", "progress_sum", "expected"),
    [
        # the last item reported 100 % and is not marked succeeded yet
        (4, {JobStatus.SUCCEEDED: 3, JobStatus.RUNNING: 1}, 100, 99.9),
        # 999 ended and one at 99 %: 99.999 would round up to 100.0
        (1000, {JobStatus.SUCCEEDED: 999, JobStatus.RUNNING: 1}, 99, 99.9),
        (4, {JobStatus.SUCCEEDED: 2, JobStatus.RUNNING: 2}, 50, 62.5),
        (4, {JobStatus.SUCCEEDED: 3, JobStatus.FAILED: 1}, 0, 100.0),
    ],
)
def test_progress_reaches_100_only_when_no_item_is_open(
    item_count: int, counts: dict[str, int], progress_sum: int, expected: float
) -> None:
    assert view(item_count, counts, progress_sum).progress == expected
