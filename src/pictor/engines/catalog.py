"""The engines of this process, built once from settings and injected."""

from __future__ import annotations

from dataclasses import dataclass, field

from pictor.config import Settings
from pictor.engines.availability import Availability
from pictor.engines.segment.base import Segmenter
from pictor.engines.segment.classical import ClassicalSegmenter
from pictor.engines.segment.onnx import OnnxSegmenter
from pictor.errors import EngineUnavailable
from pictor.registry import Registry

#: Engines that exist but need a setting; named in errors so users know what to set.
_SETTINGS_FOR = {("segment", "onnx"): "PICTOR_SEGMENT_MODEL"}


@dataclass
class Engines:
    segmenters: Registry[Segmenter] = field(default_factory=lambda: Registry("segment engine"))

    def segmenter(self, name: str) -> Segmenter:
        if name not in self.segmenters and ("segment", name) in _SETTINGS_FOR:
            setting = _SETTINGS_FOR[("segment", name)]
            raise EngineUnavailable(
                f"the {name} segment engine is not configured; set {setting}",
                field="params.engine",
            )
        segmenter = self.segmenters.get(name)
        availability = segmenter.availability()
        if not availability.available:
            raise EngineUnavailable(
                f"the {name} segment engine is unavailable: {availability.detail}",
                field="params.engine",
            )
        return segmenter

    def readiness(self) -> dict[str, Availability]:
        report = {f"segment:{name}": seg.availability() for name, seg in self.segmenters.items()}
        for family, name in _SETTINGS_FOR:
            if name not in self.segmenters:
                report[f"{family}:{name}"] = Availability.missing(
                    f"not configured (set {_SETTINGS_FOR[(family, name)]})"
                )
        return report


def build_engines(settings: Settings) -> Engines:
    engines = Engines()
    engines.segmenters.register("classical", ClassicalSegmenter())
    seg = settings.segment
    if seg.model is not None:
        engines.segmenters.register(
            "onnx",
            OnnxSegmenter(seg.model, input_size=seg.input_size, mean=seg.mean, std=seg.std),
        )
    return engines
