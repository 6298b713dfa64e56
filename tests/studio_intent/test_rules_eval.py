"""The rules engine on the labelled evaluation set (eval_set.jsonl)."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from pictor.studio.engines.rules import RulesEngine
from pictor.studio.intent import INTENT_KINDS
from pictor.studio.intent_eval import Outcome, accuracy, load, run

SET = Path(__file__).with_name("eval_set.jsonl")


@pytest.fixture(scope="module")
async def outcomes() -> list[Outcome]:
    return await run(RulesEngine(), load(SET))


def test_the_set_is_big_varied_and_has_a_held_out_part() -> None:
    rows = load(SET)
    assert len(rows) >= 170
    assert len({r.id for r in rows}) == len(rows)
    per_intent = collections.Counter(r.intent for r in rows)
    assert set(per_intent) == set(INTENT_KINDS)
    assert min(per_intent.values()) >= 10, per_intent
    assert len({r.lang for r in rows}) >= 8
    assert sum(r.split == "heldout" for r in rows) >= 40
    assert any(r.note for r in rows)


async def test_rules_accuracy_is_at_least_90_percent(outcomes: list[Outcome]) -> None:
    wrong = [(o.row.id, o.row.text, o.intent.kind) for o in outcomes if not o.correct]
    assert accuracy(outcomes) >= 0.90, wrong


async def test_every_job_intent_makes_params_its_kind_accepts(outcomes: list[Outcome]) -> None:
    jobs = [o for o in outcomes if o.intent.kind != "answer"]
    assert len(jobs) >= 120
    assert [(o.row.id, o.job_error) for o in jobs if o.job is None] == []


async def test_expected_params_are_extracted(outcomes: list[Outcome]) -> None:
    labelled = [o for o in outcomes if o.row.params and o.correct]
    assert len(labelled) >= 40
    missed = [(o.row.id, o.row.params, o.job) for o in labelled if not o.params_match()]
    assert len(missed) <= len(labelled) // 10, missed


async def test_answers_carry_a_reply_and_jobs_the_right_images(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        if o.intent.kind == "answer":
            assert o.intent.reply
            assert o.intent.image_ids == ()
        elif o.intent.kind in ("generate", "logo"):
            assert o.intent.image_ids == ()
        else:
            expected = "img_attached" if o.row.has_image else "img_last"
            assert o.intent.image_ids == (expected,), o.row.id
