"""Scoring an intent engine against a labelled set (tests and ``bench/studio_intent.py``).

Each row of the set (JSON lines) has ``text``, ``lang``, ``split`` (tuned / heldout),
the context flags ``has_image`` (the message attaches one) and ``last_image`` (the
session has one), the expected ``intent``, and optionally expected ``params`` of the
job ``to_job`` makes: plain keys, dotted keys (``region.corner``), or ``targets``
(the localization's ``market-language`` pairs, in any order).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pictor.pipelines.localize_params import LocalizeParams
from pictor.studio.engines.jobs import NoJob, to_job
from pictor.studio.intent import Intent, IntentEngine, MessageContext


@dataclass(frozen=True)
class Row:
    id: str
    split: str
    lang: str
    text: str
    intent: str
    has_image: bool = False
    last_image: bool = False
    params: dict[str, Any] | None = None
    note: str = ""

    def context(self) -> MessageContext:
        return MessageContext(
            image_ids=("img_attached",) if self.has_image else (),
            last_image_id="img_last" if self.last_image else None,
        )


@dataclass(frozen=True)
class Outcome:
    row: Row
    intent: Intent
    job: tuple[str, dict[str, Any]] | None
    job_error: str | None

    @property
    def correct(self) -> bool:
        return self.intent.kind == self.row.intent

    def params_match(self) -> bool:
        """Whether every expected param is in the job (True when none is expected)."""
        if not self.row.params:
            return True
        if self.job is None:
            return False
        _, params = self.job
        return all(_matches(params, k, v) for k, v in self.row.params.items())


def load(path: Path) -> list[Row]:
    lines = path.read_text("utf-8").splitlines()
    return [Row(**json.loads(line)) for line in lines if line.strip()]


def _matches(params: dict[str, Any], key: str, expected: Any) -> bool:
    if key == "targets":
        pairs = {t.slug for t in LocalizeParams.model_validate(params).targets()}
        return pairs == set(expected)
    value: Any = params
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    if isinstance(expected, list) and isinstance(value, list):
        return [str(v).lower() for v in value] == [str(e).lower() for e in expected]
    return bool(value == expected)


async def run(engine: IntentEngine, rows: list[Row]) -> list[Outcome]:
    outcomes = []
    for row in rows:
        intent = await engine.understand(row.text, row.context())
        job: tuple[str, dict[str, Any]] | None = None
        error = None
        if intent.kind != "answer":
            try:
                job = to_job(intent)
            except NoJob as exc:
                error = str(exc)
        outcomes.append(Outcome(row, intent, job, error))
    return outcomes


def accuracy(outcomes: list[Outcome]) -> float:
    return sum(o.correct for o in outcomes) / len(outcomes) if outcomes else 0.0
