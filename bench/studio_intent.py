"""The rules intent engine on the labelled set: accuracy and time per message.

Prints intent accuracy overall, on the tuned and held-out parts, per intent
(precision / recall), per language, the confusion pairs, the share of expected
params found, and the time per message against a baseline measured in the same run
(a bare ``keyword in text`` check over the same messages).

    .venv/bin/python bench/studio_intent.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pictor.studio.engines.rules import RulesEngine, understand
from pictor.studio.intent import INTENT_KINDS
from pictor.studio.intent_eval import Outcome, Row, accuracy, load, run

SET = Path(__file__).resolve().parents[1] / "tests" / "studio_intent" / "eval_set.jsonl"
BASELINE_WORDS = ("background", "watermark", "logo", "translate", "remove", "make", "hi")


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    -  "


def report(outcomes: list[Outcome]) -> None:
    total = len(outcomes)
    print(f"messages: {total}, intent accuracy: {_pct(sum(o.correct for o in outcomes), total)}")
    for split in ("tuned", "heldout"):
        part = [o for o in outcomes if o.row.split == split]
        print(f"  {split:8s} {len(part):4d} messages  {100 * accuracy(part):5.1f} %")
    print("\nper intent            n   precision   recall")
    for kind in INTENT_KINDS:
        said = [o for o in outcomes if o.intent.kind == kind]
        meant = [o for o in outcomes if o.row.intent == kind]
        hits = sum(o.correct for o in meant)
        print(f"  {kind:18s} {len(meant):4d}  {_pct(hits, len(said))}   {_pct(hits, len(meant))}")
    print("\nper language          n   accuracy")
    by_lang: dict[str, list[Outcome]] = collections.defaultdict(list)
    for o in outcomes:
        by_lang[o.row.lang].append(o)
    for lang, part in sorted(by_lang.items(), key=lambda kv: -len(kv[1])):
        print(f"  {lang:4s} {len(part):16d}   {100 * accuracy(part):5.1f} %")
    pairs = collections.Counter((o.row.intent, o.intent.kind) for o in outcomes if not o.correct)
    print("\nconfusion pairs (expected -> said): " + (", ".join(
        f"{a} -> {b} x{n}" for (a, b), n in pairs.most_common()) or "none"))  # fmt: skip
    for o in outcomes:
        if not o.correct:
            print(f"  {o.row.id} [{o.row.lang}] {o.row.text!r}: {o.intent.kind}")
    labelled = [o for o in outcomes if o.row.params and o.correct]
    found = sum(o.params_match() for o in labelled)
    print(f"\nexpected params found: {found}/{len(labelled)} ({_pct(found, len(labelled))})")


def timing(rows: list[Row], repeat: int) -> None:
    texts = [(r.text, r.context()) for r in rows]

    def rules() -> None:
        for text, context in texts:
            understand(text, context)

    def baseline() -> None:
        for text, _ in texts:
            lowered = text.lower()
            _ = [w for w in BASELINE_WORDS if w in lowered]

    for name, fn in (("baseline (keyword in text)", baseline), ("rules engine", rules)):
        fn()  # warm-up: lexicons folded, catalog loaded
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - start) / len(texts))
        print(f"  {name:28s} median {1e6 * statistics.median(runs):8.1f} µs per message")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rows = load(SET)
    report(asyncio.run(run(RulesEngine(), rows)))
    print(f"\ntime per message ({len(rows)} messages x {args.repeat} runs):")
    timing(rows, args.repeat)


if __name__ == "__main__":
    main()
