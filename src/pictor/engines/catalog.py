"""The engines of this process, built once from settings and injected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pictor.config import Settings
from pictor.engines.availability import Availability
from pictor.engines.generate.base import ImageProvider
from pictor.engines.generate.providers import build_providers, choose_provider
from pictor.engines.inpaint.base import Inpainter
from pictor.engines.inpaint.onnx import OnnxInpainter
from pictor.engines.inpaint.opencv import OpenCvInpainter
from pictor.engines.localize.base import Localizer
from pictor.engines.localize.gemini import GeminiLocalizer
from pictor.engines.localize.relayout import RelayoutLocalizer
from pictor.engines.localize.translators import build_translator
from pictor.engines.logo.base import LogoDesigner
from pictor.engines.logo.designer import ProceduralLogoDesigner
from pictor.engines.segment.base import Segmenter
from pictor.engines.segment.classical import ClassicalSegmenter
from pictor.engines.segment.onnx import OnnxSegmenter
from pictor.errors import EngineUnavailable
from pictor.registry import Registry

#: Engines that exist but need a setting; named in errors so users know what to set.
_SETTINGS_FOR = {
    ("segment", "onnx"): "PICTOR_SEGMENT_MODEL",
    ("inpaint", "onnx"): "PICTOR_INPAINT_MODEL",
}


class _HasAvailability(Protocol):
    def availability(self) -> Availability: ...


E = TypeVar("E", bound=_HasAvailability)


def _usable(family: str, name: str, registry: Registry[E]) -> E:
    """The engine ``name`` of ``family``, or a clear error: not configured (naming the
    setting), unknown (listing the known ones), or unavailable (saying why)."""
    if name not in registry and (family, name) in _SETTINGS_FOR:
        setting = _SETTINGS_FOR[(family, name)]
        raise EngineUnavailable(
            f"the {name} {family} engine is not configured; set {setting}",
            field="params.engine",
        )
    engine = registry.get(name)
    availability = engine.availability()
    if not availability.available:
        raise EngineUnavailable(
            f"the {name} {family} engine is unavailable: {availability.detail}",
            field="params.engine",
        )
    return engine


@dataclass
class Engines:
    segmenters: Registry[Segmenter] = field(default_factory=lambda: Registry("segment engine"))
    providers: Registry[ImageProvider] = field(default_factory=lambda: Registry("image provider"))
    inpainters: Registry[Inpainter] = field(default_factory=lambda: Registry("inpaint engine"))
    logo_designers: Registry[LogoDesigner] = field(default_factory=lambda: Registry("logo engine"))
    localizers: Registry[Localizer] = field(default_factory=lambda: Registry("localize engine"))
    default_provider: str | None = None

    def image_provider(self, name: str | None) -> ImageProvider:
        """The provider named, else the default or first configured (never a stand-in)."""
        return choose_provider(self.providers, name, self.default_provider)

    def segmenter(self, name: str) -> Segmenter:
        """``classical`` (no weights) or ``onnx`` (when PICTOR_SEGMENT_MODEL is set)."""
        return _usable("segment", name, self.segmenters)

    def inpainter(self, name: str) -> Inpainter:
        """``opencv-telea``, ``opencv-ns`` or ``onnx`` (when PICTOR_INPAINT_MODEL is set)."""
        return _usable("inpaint", name, self.inpainters)

    def logo_designer(self, name: str) -> LogoDesigner:
        """``procedural``: the logo designer that needs no weights."""
        return _usable("logo", name, self.logo_designers)

    def localizer(self, name: str) -> Localizer:
        """``relayout`` (offline OCR + re-render) or ``gemini`` (generative, needs a provider)."""
        return _usable("localize", name, self.localizers)

    def readiness(self) -> dict[str, Availability]:
        report = {f"segment:{name}": seg.availability() for name, seg in self.segmenters.items()}
        report.update({f"inpaint:{n}": e.availability() for n, e in self.inpainters.items()})
        report.update({f"logo:{n}": d.availability() for n, d in self.logo_designers.items()})
        report.update({f"localize:{n}": e.availability() for n, e in self.localizers.items()})
        present = {("segment", n) for n in self.segmenters.names()}
        present |= {("inpaint", n) for n in self.inpainters.names()}
        for family, name in _SETTINGS_FOR:
            if (family, name) not in present:
                report[f"{family}:{name}"] = Availability.missing(
                    f"not configured (set {_SETTINGS_FOR[(family, name)]})"
                )
        for name, provider in self.providers.items():
            report[f"generate:{name}"] = provider.availability()
        return report


def build_engines(settings: Settings) -> Engines:
    engines = Engines(
        providers=build_providers(settings), default_provider=settings.providers.default
    )
    engines.segmenters.register("classical", ClassicalSegmenter())
    engines.logo_designers.register("procedural", ProceduralLogoDesigner())
    seg = settings.segment
    if seg.model is not None:
        engines.segmenters.register(
            "onnx",
            OnnxSegmenter(seg.model, input_size=seg.input_size, mean=seg.mean, std=seg.std),
        )
    engines.localizers.register(
        "gemini",
        GeminiLocalizer(
            engines.providers.get("gemini"),
            model=settings.localize.gemini_model,
            concurrency=settings.localize.concurrency,
        ),
    )
    engines.localizers.register(
        "relayout",
        RelayoutLocalizer(
            build_translator(settings),
            fit=settings.localize.fit,
            inpaint_radius=settings.inpaint.radius,
        ),
    )
    inpaint = settings.inpaint
    engines.inpainters.register("opencv-telea", OpenCvInpainter("telea", radius=inpaint.radius))
    engines.inpainters.register("opencv-ns", OpenCvInpainter("ns", radius=inpaint.radius))
    if inpaint.model is not None:
        engines.inpainters.register(
            "onnx",
            OnnxInpainter(inpaint.model, margin=inpaint.margin, max_side=inpaint.max_side),
        )
    return engines
