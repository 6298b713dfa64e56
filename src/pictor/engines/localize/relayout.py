"""The ``relayout`` localizer: the offline path, no weights to download.

1. find the text (RapidOCR, models inside its wheel), once per source image;
2. take each text's translation from the user's ``translations``, else from the
   configured translation provider; text with neither is left as is and listed;
3. erase the translated texts (OpenCV inpainting over their ink) and draw the
   translations in the same boxes: colour, weight, alignment, size fitted, wrapped,
   shaped (raqm) in a font covering every character;
4. crop or pad to the requested size and aspect ratio.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
from collections import OrderedDict
from typing import Any

from pictor.engines.availability import Availability
from pictor.engines.localize.base import CpuRunner, LocalizedImage, LocalizeRequest
from pictor.engines.localize.compose import Replacement, Unit, compose, find_blocks
from pictor.engines.localize.fit import FitMode
from pictor.engines.localize.fonts import installed_faces
from pictor.engines.localize.ocr import TextBlock
from pictor.engines.localize.translate import Translator, UserTranslations

OCR_ENGINE = "rapidocr"
#: Source images whose text blocks are remembered (every language of a job reuses them).
_CACHE_SIZE = 16


class RelayoutLocalizer:
    def __init__(
        self,
        translator: Translator | None = None,
        *,
        fit: FitMode = "pad",
        inpaint_radius: int = 4,
    ) -> None:
        self.translator = translator
        self.fit: FitMode = fit
        self.inpaint_radius = inpaint_radius
        self._blocks: OrderedDict[str, asyncio.Future[list[TextBlock]]] = OrderedDict()

    @property
    def name(self) -> str:
        """``"relayout"``."""
        return "relayout"

    def availability(self) -> Availability:
        """Available when rapidocr and the font packages are installed."""
        if importlib.util.find_spec("rapidocr") is None:
            return Availability.missing("the rapidocr package is not installed")
        if not installed_faces():
            return Availability.missing("no Noto font package is installed")
        translator = "user translations only"
        if self.translator is not None and self.translator.availability().available:
            translator = f"translations by {self.translator.name}"
        return Availability.ok(f"{OCR_ENGINE} OCR, {translator}, fit={self.fit}")

    async def blocks_of(self, image: bytes, cpu: CpuRunner) -> list[TextBlock]:
        """The text blocks of ``image``, found once for all the languages of a job."""
        key = hashlib.sha256(image).hexdigest()
        future = self._blocks.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = asyncio.get_running_loop().create_future()
            self._blocks[key] = future
            while len(self._blocks) > _CACHE_SIZE:
                self._blocks.popitem(last=False)
            try:
                future.set_result(await cpu(find_blocks, image))
            except BaseException as exc:
                future.set_exception(exc)
                # Retrieved here so an unawaited failure is not logged as lost.
                future.exception()
                self._blocks.pop(key, None)
                raise
        self._blocks.move_to_end(key)
        return list(await asyncio.shield(future))

    async def localize(self, request: LocalizeRequest, cpu: CpuRunner) -> LocalizedImage:
        """Make the ad for ``request.target_language``; see the module docstring."""
        blocks = await self.blocks_of(request.image, cpu)
        user = UserTranslations.of(request.translations)
        replacements, pending = _from_user(blocks, user)
        details: dict[str, Any] = {"texts_found": [b.text for b in blocks], "fit": self.fit}
        untranslated: list[dict[str, str]] = []
        used_provider = False
        if pending and self.translator is not None and self.translator.availability().available:
            got = await self.translator.translate(
                [u.source for u in pending],
                request.source_language,
                request.target_language,
                request.brand_terms,
            )
            used_provider = bool(got.accepted)
            for unit in pending:
                target = got.accepted.get(unit.source)
                if target is not None:
                    replacements.append((Replacement(unit, target), "provider"))
                else:
                    reason = got.refused.get(unit.source, "the provider gave no translation")
                    untranslated.append({"source": unit.source, "reason": reason})
        else:
            reason = "no translation supplied and no translation provider configured"
            untranslated += [{"source": u.source, "reason": reason} for u in pending]
        composed = await cpu(
            compose,
            request.image,
            [r for r, _ in replacements],
            request.target_language,
            request.image_size,
            request.aspect_ratio,
            self.fit,
            self.inpaint_radius,
        )
        details["translated"] = [
            {"source": r.unit.source, "target": r.target, "by": by} for r, by in replacements
        ]
        details["untranslated"] = untranslated
        details["fonts"] = sorted(set(composed.fonts.values()))
        warnings = list(composed.warnings)
        if not blocks:
            details["no_text_found"] = True
            warnings.append("no text found in the image; only resized")
        if untranslated:
            warnings.append(f"{len(untranslated)} text(s) left untranslated")
        return LocalizedImage(
            data=composed.data,
            content_type=composed.content_type,
            width=composed.width,
            height=composed.height,
            engine=self._engine_id(bool(replacements), used_provider),
            warnings=tuple(warnings),
            details=details,
        )

    def _engine_id(self, translated: bool, used_provider: bool) -> str:
        if used_provider and self.translator is not None:
            return f"relayout:{OCR_ENGINE}+{self.translator.name}"
        return f"relayout:{OCR_ENGINE}+user" if translated else f"relayout:{OCR_ENGINE}"


def _from_user(
    blocks: list[TextBlock], user: UserTranslations
) -> tuple[list[tuple[Replacement, str]], list[Unit]]:
    """Replacements the user's translations give; the units still to translate.

    A block is matched whole first; else each of its lines on its own (users often key
    a two-line headline line by line).
    """
    done: list[tuple[Replacement, str]] = []
    pending: list[Unit] = []
    for block in blocks:
        whole = Unit(tuple(block.lines), block.text, block.align)
        target = user.get(block.text)
        if target is not None:
            done.append((Replacement(whole, target), "user"))
            continue
        per_line = [user.get(line.text) for line in block.lines]
        if len(block.lines) > 1 and any(t is not None for t in per_line):
            for line, line_target in zip(block.lines, per_line, strict=True):
                unit = Unit((line,), line.text, block.align)
                if line_target is None:
                    pending.append(unit)
                else:
                    done.append((Replacement(unit, line_target), "user"))
            continue
        pending.append(whole)
    return done, pending
