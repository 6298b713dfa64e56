"""The procedural designer: a brief and a variant number in, one deterministic logo out."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from pictor.engines.availability import Availability
from pictor.engines.logo import layouts
from pictor.engines.logo.base import LogoBrief, LogoDesign
from pictor.engines.logo.colors import contrast, parse_color, to_hex
from pictor.engines.logo.emblems import EMBLEMS
from pictor.engines.logo.fonts import FACES, load
from pictor.engines.logo.icons import icon_shapes, stroked_icon
from pictor.engines.logo.industry import Industry, detect_industry
from pictor.engines.logo.layouts import Canvas, NameStyle
from pictor.engines.logo.marks import (
    Mark,
    emblem_mark,
    icon_mark,
    initials,
    monogram_letters,
    monogram_mark,
)
from pictor.engines.logo.palettes import (
    STYLE_PALETTES,
    WHITE,
    Palette,
    named_palette,
    user_palette,
)
from pictor.engines.logo.styles import TYPOGRAPHY
from pictor.engines.logo.svg import document

#: (mark, layout) per variant: neighbours differ in both, the first 11 are all different.
COMBOS: tuple[tuple[str, str], ...] = (
    ("icon", "horizontal"),
    ("monogram", "stacked"),
    ("badge", "badge"),
    ("emblem", "horizontal"),
    ("wordmark", "wordmark"),
    ("monogram", "icon_only"),
    ("icon", "stacked"),
    ("emblem", "stacked"),
    ("icon", "icon_only"),
    ("monogram", "horizontal"),
    ("badge", "badge"),  # with a monogram inside, see _badge
    ("emblem", "icon_only"),
)


@dataclass(frozen=True)
class _Choices:
    palette: Palette
    style: NameStyle
    container: str | None
    icon: str
    emblem: str
    rng: random.Random


class ProceduralLogoDesigner:
    """No weights: industry icons (Lucide), OFL fonts as outlines, computed palettes."""

    engine_id = "procedural-logo"

    def availability(self) -> Availability:
        try:
            load("sans-regular")
            icon_shapes("star")
        except Exception as exc:  # a broken install must show on /ready, not as a 500
            return Availability.missing(f"fonts or icons not installed: {exc}")
        return Availability.ok("fonts: Source Sans/Serif Pro, Hanken Grotesk, Fredoka One")

    def design(self, brief: LogoBrief, index: int) -> LogoDesign:
        industry = detect_industry(brief.business_type, brief.description, brief.business_name)
        choices = self._choose(brief, industry, index)
        mark, layout = COMBOS[index % len(COMBOS)]
        name = brief.business_name.strip()
        canvas, drawn = self._compose(mark, layout, name, choices, index)
        title = f"{name} logo"
        used = {choices.style.face} | ({drawn.font} if drawn.font else set())
        warnings = []
        if canvas.missing:
            missing = "".join(sorted(set(canvas.missing)))
            warnings.append(f"no installed font has these characters, left out: {missing}")
        return LogoDesign(
            index=index,
            svg=document(canvas.width, canvas.height, title, canvas.body),
            favicon_svg=self._favicon(mark, name, choices),
            mark=mark,
            layout=layout,
            palette=choices.palette.as_dict(),
            fonts=[FACES[key].describe() for key in sorted(used)],
            contrast=self._contrast(layout, choices.palette, drawn),
            industry=industry.name,
            icon=choices.icon if mark in ("icon", "badge") and index % len(COMBOS) != 10 else None,
            warnings=warnings,
        )

    def _choose(self, brief: LogoBrief, industry: Industry, index: int) -> _Choices:
        digest = hashlib.sha256(
            repr(
                (
                    brief.seed,
                    brief.business_name,
                    brief.business_type,
                    brief.description,
                    brief.style,
                    brief.colors,
                )
            ).encode()
        ).digest()
        base = int.from_bytes(digest[:8], "big")
        rng = random.Random(base + index)  # one stream per variant: variant 3 never moves
        # Each choice cycles over the variants from its own seeded offset, so neighbours
        # differ and another seed moves every choice independently.
        offset = digest[8:16]
        typo = TYPOGRAPHY[brief.style]
        if brief.colors:
            palette = user_palette([parse_color(c) for c in brief.colors], index + offset[0])
        else:
            names = STYLE_PALETTES[brief.style]
            palette = named_palette(names[(index + offset[0]) % len(names)])
        round_ = index // len(COMBOS)
        face = typo.faces[(index + round_ + offset[1]) % len(typo.faces)]
        container: str | None = typo.shapes[(index + offset[2]) % len(typo.shapes)]
        if brief.style == "minimal" and index % 2 == 0:
            container = None  # minimal marks are often the bare icon
        icon = industry.icons[(index // 2 + offset[3]) % len(industry.icons)]
        emblem = EMBLEMS[(index + offset[4]) % len(EMBLEMS)]
        style = NameStyle(face, typo.tracking, typo.upper)
        return _Choices(palette, style, container, icon, emblem, rng)

    def _mark(self, mark: str, name: str, c: _Choices, tile: bool) -> Mark:
        container = (c.container or "rounded") if tile else c.container
        if mark == "icon":
            return icon_mark(c.icon, c.palette, container)
        if mark == "monogram":
            return monogram_mark(name, c.style.face, c.palette, container)
        return emblem_mark(c.emblem, c.palette, c.rng)

    def _compose(
        self, mark: str, layout: str, name: str, c: _Choices, index: int
    ) -> tuple[Canvas, Mark]:
        ink = c.palette.ink
        if layout == "wordmark":
            return layouts.wordmark(name, c.style, c.palette, c.rng), Mark("", None)
        if layout == "badge":
            return self._badge(name, c, monogram=index % len(COMBOS) == 10)
        drawn = self._mark(mark, name, c, tile=layout == "icon_only")
        if layout == "icon_only":
            return layouts.icon_only(drawn.svg), drawn
        if layout == "stacked":
            return layouts.stacked(drawn.svg, name, c.style, ink), drawn
        return layouts.horizontal(drawn.svg, name, c.style, ink), drawn

    def _badge(self, name: str, c: _Choices, monogram: bool) -> tuple[Canvas, Mark]:
        fg = c.palette.on_primary
        if monogram:
            inner = monogram_letters(initials(name), c.style.face, fg, 70.0)
        else:
            inner = stroked_icon(c.icon, to_hex(fg), 16, 16, 68)
        plate = "circle" if c.container in ("circle", "shield", None) else "plate"
        canvas = layouts.badge(inner, name, c.style, c.palette, plate)
        return canvas, Mark(inner, contrast(fg, c.palette.primary))

    def _contrast(self, layout: str, palette: Palette, drawn: Mark) -> float:
        if layout == "badge":
            return contrast(palette.on_primary, palette.primary)
        if layout == "icon_only" and drawn.contrast is not None:
            return drawn.contrast
        return contrast(palette.ink, WHITE)

    def _favicon(self, mark: str, name: str, c: _Choices) -> str:
        """The mark on a square tile: what a browser tab or phone home screen shows."""
        kind = {"badge": "icon", "wordmark": "monogram"}.get(mark, mark)
        container = c.container or "rounded"
        if kind == "icon":
            drawn = icon_mark(c.icon, c.palette, container)
        elif kind == "monogram":
            drawn = monogram_mark(name, c.style.face, c.palette, container)
        else:
            drawn = emblem_mark(c.emblem, c.palette, random.Random(0))
        canvas = layouts.icon_only(drawn.svg)
        return document(canvas.width, canvas.height, f"{name} icon", canvas.body)
