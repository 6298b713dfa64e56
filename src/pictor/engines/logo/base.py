"""What a logo designer takes and gives, and the Protocol every designer follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pictor.engines.availability import Availability


@dataclass(frozen=True)
class LogoBrief:
    business_name: str
    business_type: str = ""
    description: str = ""
    style: str = "modern"  # canonical, see styles.STYLES
    colors: tuple[str, ...] = ()  # as hex, already validated
    seed: int = 0


@dataclass(frozen=True)
class LogoDesign:
    index: int
    svg: str
    #: The square app-icon version of the mark, for favicons.
    favicon_svg: str
    mark: str
    layout: str
    palette: dict[str, str]
    fonts: list[dict[str, str]]
    #: WCAG ratio of the name (or the monogram/icon on its tile) on its background.
    contrast: float
    industry: str
    icon: str | None = None
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "mark": self.mark,
            "layout": self.layout,
            "palette": self.palette,
            "fonts": self.fonts,
            "contrast": round(self.contrast, 2),
            "industry": self.industry,
            "icon": self.icon,
            "warnings": self.warnings,
        }


class LogoDesigner(Protocol):
    engine_id: str

    def availability(self) -> Availability:
        """Whether the fonts and icons this designer needs are installed."""
        ...

    def design(self, brief: LogoBrief, index: int) -> LogoDesign:
        """Variant ``index`` of the brief: the same brief and index give the same bytes."""
        ...
