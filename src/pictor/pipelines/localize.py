"""Job kind ``localize``: one ad, a version per (language, market), all in parallel.

Every target is its own result (status, output, thumbnail, engine, time, error,
warnings), shared with clients as it arrives (``japanese: done``). The job succeeds when
at least one target did; only those are charged (their share of the job's price). The
generative engine bounds its own requests in flight (PICTOR_LOCALIZE_CONCURRENCY); the
offline one is bounded by the CPU pool.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from pictor.credits.settings import DEFAULT_PRICES
from pictor.engines.catalog import Engines
from pictor.engines.localize.base import Localizer, LocalizeRequest
from pictor.errors import EngineUnavailable, JobCanceled, PictorError
from pictor.jobs.context import JobContext
from pictor.localization.catalog import load_catalog
from pictor.pipelines.localize_params import LocalizeParams, Target
from pictor.pipelines.localize_watermark import (
    CleanedAd,
    finish_localized,
    finisher,
    job_marks,
)
from pictor.pipelines.spec import PipelineSpec

log = logging.getLogger("pictor.localize")

#: A target whose engine raised a transient error is tried this many times.
ATTEMPTS = 2
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def check(params: LocalizeParams, engines: Engines) -> None:
    """The engine must be able to run now: a 422 naming the setting, never a silent swap."""
    try:
        engines.localizer(params.engine)
    except EngineUnavailable as exc:
        hint = " (or pass engine=relayout, the offline engine)" if params.engine == "gemini" else ""
        raise EngineUnavailable(exc.message + hint, field="params.engine") from None


def labels(targets: list[Target]) -> list[str]:
    """``japanese``; ``english (uk)`` when a language goes to several markets."""
    counts: dict[str, int] = {}
    for target in targets:
        counts[target.language.id] = counts.get(target.language.id, 0) + 1
    return [
        t.language.id if counts[t.language.id] == 1 else f"{t.language.id} ({t.market.id})"
        for t in targets
    ]


@dataclass
class Run:
    ctx: JobContext
    params: LocalizeParams
    localizer: Localizer
    source: bytes
    targets: list[Target]
    labels: list[str]
    entries: list[dict[str, Any]]
    errors: list[PictorError | None]
    done: int = 0

    async def share(self, stage: str) -> None:
        self.ctx.result["languages"] = [dict(entry) for entry in self.entries]
        percent = 5 + 90 * self.done // len(self.targets)
        await self.ctx.progress(percent, stage, share_result=True)

    def request(self, target: Target) -> LocalizeRequest:
        catalog = load_catalog()
        return LocalizeRequest(
            image=self.source,
            source_language=catalog.language(self.params.source_language),
            target_language=target.language,
            market=target.market,
            preserve_people=self.params.preserve_people,
            image_size=self.params.image_size,
            aspect_ratio=self.params.aspect_ratio,
            translations=self.params.translations_for(target.language.id),
            brand_terms=tuple(self.params.brand_terms),
            finish=finisher(*job_marks(self.ctx, self.params.remove_watermark)),
        )

    async def one(self, index: int) -> None:
        target, label, entry = self.targets[index], self.labels[index], self.entries[index]
        entry["status"] = "running"
        await self.share(f"{label}: generating")
        started = time.monotonic()
        try:
            made = await self._make(target)
            entry.update(await self._save(target, made))
            entry["status"] = "succeeded"
        except JobCanceled:
            raise
        except PictorError as exc:
            self.errors[index] = exc
            entry.update(status="failed", error={"code": exc.code, "message": exc.message})
        except Exception as exc:  # a bug in one engine call must not sink the others
            log.exception("localize %s failed", label)
            self.errors[index] = PictorError(f"{label}: internal error ({type(exc).__name__})")
            entry.update(status="failed", error={"code": "internal_error", "message": "internal"})
        entry["processing_s"] = round(time.monotonic() - started, 3)
        self.done += 1
        await self.share(f"{label}: {'done' if entry['status'] == 'succeeded' else 'failed'}")

    async def _make(self, target: Target) -> CleanedAd:
        request = self.request(target)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                image = await self.localizer.localize(request, self.ctx.run_cpu)
                break
            except PictorError as exc:
                if not exc.transient or attempt == ATTEMPTS:
                    raise
        return await finish_localized(self.ctx, image, self.params.remove_watermark)

    async def _save(self, target: Target, made: CleanedAd) -> dict[str, Any]:
        image = made.image
        meta = {"language": target.language.id, "market": target.market.id}
        output = await self.ctx.save_output(
            image.data,
            content_type=image.content_type,
            ext=_EXT.get(image.content_type, "png"),
            width=image.width,
            height=image.height,
            engine=image.engine,
            meta={**meta, "role": "localized"},
        )
        thumb = made.thumbnail
        thumb_id = await self.ctx.save_output(
            thumb.data,
            content_type="image/webp",
            ext="webp",
            width=thumb.width,
            height=thumb.height,
            engine=image.engine,
            meta={**meta, "role": "thumbnail"},
        )
        return {
            "output": output,
            "thumbnail": thumb_id,
            "engine": image.engine,
            "width": image.width,
            "height": image.height,
            "warnings": [*image.warnings, *made.warnings],
            "watermark": made.watermark,
            "details": image.details,
        }


async def run(ctx: JobContext, params: LocalizeParams) -> None:
    localizer = ctx.engines.localizer(params.engine)
    targets = params.targets()
    names = labels(targets)
    entries: list[dict[str, Any]] = [
        {
            "language": t.language.id,
            "market": t.market.id,
            "file": t.slug,
            "status": "queued",
            "output": None,
            "thumbnail": None,
            "engine": None,
            "processing_s": None,
            "error": None,
            "warnings": [],
        }
        for t in targets
    ]
    ctx.result.update({"engine": params.engine, "languages": entries})
    await ctx.progress(2, f"localizing into {len(targets)} languages")
    work = Run(ctx, params, localizer, await ctx.input_bytes(0), targets, names, entries, [])
    work.errors = [None] * len(targets)
    tasks = [asyncio.ensure_future(work.one(i)) for i in range(len(targets))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # A cancel (or a lost lease) stops every target, not just the one that saw it.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finish(ctx, work)


def per_target(cost: int, targets: int) -> int | float:
    """The job's price per target, to two decimals when a batch's discount made it a
    fraction of a credit."""
    share = cost / targets
    return int(share) if share.is_integer() else round(share, 2)


def finish(ctx: JobContext, work: Run) -> None:
    """Charge what succeeded; fail with the first error when nothing did."""
    succeeded = [e for e in work.entries if e["status"] == "succeeded"]
    failed = [e for e in work.entries if e["status"] == "failed"]
    if not succeeded:
        first = next(error for error in work.errors if error is not None)
        raise first
    charged = [e["language"] for e in succeeded]
    engines = sorted({str(e["engine"]) for e in succeeded})
    ctx.engine = ",".join(engines)
    # The price reserved (the configured price per target, or a batch's discounted
    # share of it) covers every target; the ones made pay their part of it.
    targets = len(work.entries)
    ctx.charge = ctx.cost * len(succeeded) // targets
    ctx.result.update(
        {
            "languages": work.entries,
            "engine": ctx.engine,
            "succeeded": len(succeeded),
            "failed": [f"{e['language']} ({e['market']})" for e in failed],
            "charged_languages": charged,
            "cost_per_language": per_target(ctx.cost, targets),
            "charge": ctx.charge,
        }
    )


SPEC = PipelineSpec(
    kind="localize",
    title="Localize an ad for up to 20 markets",
    params_model=LocalizeParams,
    run=run,
    check=check,
    cost=DEFAULT_PRICES["localize"],
    min_inputs=1,
    max_inputs=1,
    timeout_s=900.0,
    # Each target is retried inside the job; a job-level retry would pay for the
    # targets that already succeeded a second time.
    retryable=False,
)
