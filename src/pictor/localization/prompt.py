"""The prompt the generative localizer sends: typed sections built from the catalog.

Each section is a title and a list of instructions, made by one small function from
typed inputs (languages, market, options), so a test can ask "does the Japanese prompt
keep the brand terms?" without parsing prose. ``LocalizePrompt.text`` is exactly what
the engine sends and what ``GET /v1/localization/prompt-preview`` shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pictor.localization.catalog import Language, Market

#: Long side in pixels of each image size (as the engines' IMAGE_SIZE_PX).
SIZE_PX = {"1K": 1024, "2K": 2048, "4K": 4096}


@dataclass(frozen=True)
class PromptSection:
    key: str
    """Stable id: objective, editing, glossary, style, camera, culture, output."""
    title: str
    lines: tuple[str, ...]

    def render(self) -> str:
        return "\n".join([f"## {self.title}", *(f"- {line}" for line in self.lines)])


@dataclass(frozen=True)
class LocalizePrompt:
    sections: tuple[PromptSection, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(section.render() for section in self.sections)

    def section(self, key: str) -> PromptSection:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sections": [
                {"key": s.key, "title": s.title, "lines": list(s.lines)} for s in self.sections
            ],
            "text": self.text,
        }


@dataclass(frozen=True)
class PromptInput:
    source_language: Language
    target_language: Language
    market: Market
    preserve_people: bool = False
    image_size: str = "1K"
    aspect_ratio: str = "keep"
    """One of the listed ratios, or "keep"."""
    translations: Mapping[str, str] = field(default_factory=dict)
    """Source text → target text, for this target language."""
    brand_terms: tuple[str, ...] = ()
    source_size: tuple[int, int] | None = None
    """Width and height of the source ad, when known (says what "keep" means)."""


def build_prompt(spec: PromptInput) -> LocalizePrompt:
    """Every section in the order the model reads them; the glossary only when given."""
    sections = [
        objective(spec),
        editing(spec),
        glossary(spec),
        style(),
        camera(),
        culture(spec.market, spec.target_language),
        output(spec),
    ]
    return LocalizePrompt(tuple(s for s in sections if s is not None))


def _language_label(language: Language) -> str:
    return (
        f"{language.english_name}; native name {language.native_name};"
        f" script {language.script}; language tag {language.code}"
    )


def objective(spec: PromptInput) -> PromptSection:
    market, target = spec.market, spec.target_language
    return PromptSection(
        "objective",
        "Objective",
        (
            "Localize the attached product advertisement for the"
            f" {market.name} market ({market.region}).",
            f"Target language: {_language_label(target)}.",
            f"The source text is in {spec.source_language.english_name}.",
            "The result must look as if the ad had been made for this market from the start:"
            " the same ad, not a new design.",
        ),
    )


def editing(spec: PromptInput) -> PromptSection:
    target = spec.target_language
    same = spec.source_language.id == target.id
    lines = [
        (
            f"The text is already in {target.english_name}: keep its wording and adapt only"
            f" spelling and conventions to {spec.market.name}."
            if same
            else f"Translate every text element (headlines, body copy, buttons, labels,"
            f" prices, fine print) into {target.english_name}, written in the"
            f" {target.script} script, with natural marketing wording, not word for word."
        ),
        "Keep each text in its original place, with the same size, weight, colour and"
        " alignment; spell every word correctly with crisp, legible glyphs.",
    ]
    if target.direction == "rtl":
        lines.append(
            f"{target.english_name} is written right to left with joined letters: set each"
            " text right to left inside its original box."
        )
    lines.append("Keep brand names, logos, trademarks and product names exactly as they are.")
    if spec.brand_terms:
        terms = ", ".join(f'"{term}"' for term in spec.brand_terms)
        lines.append(f"Never translate or transliterate these terms; copy them exactly: {terms}.")
    lines += [
        "Keep the layout and composition: no crop, no zoom, nothing moved, added or removed.",
        "Keep the product identical: shape, colour, packaging, label and every detail.",
        _people_line(spec),
    ]
    return PromptSection("editing", "Editing instructions", tuple(lines))


def _people_line(spec: PromptInput) -> str:
    if spec.preserve_people:
        return (
            "Keep every person exactly as they are: face, skin tone, hair, body, clothing and pose."
        )
    return (
        f"Adapt the people shown to the {spec.market.name} market: {spec.market.people}"
        " Keep their number, pose, expression, position, framing and clothing style;"
        " if there are no people, add none."
    )


def glossary(spec: PromptInput) -> PromptSection | None:
    if not spec.translations:
        return None
    lines = [f'"{source}" → "{target}"' for source, target in spec.translations.items()]
    return PromptSection(
        "glossary",
        "Glossary (use these exact translations)",
        tuple(lines),
    )


def style() -> PromptSection:
    return PromptSection(
        "style",
        "Style and technical specs",
        (
            "Keep the visual style: colour palette, typography style (serif or sans,"
            " weight, case), graphic elements, textures and finish.",
            "Photorealistic where the source is a photo; same sharpness, grain and"
            " retouching level; no added watermarks, captions or borders.",
        ),
    )


def camera() -> PromptSection:
    return PromptSection(
        "camera",
        "Camera and lighting (keep)",
        (
            "Keep the camera angle, focal length, perspective, depth of field and framing.",
            "Keep the lighting: direction, softness, colour temperature, reflections and shadows.",
        ),
    )


def culture(market: Market, language: Language) -> PromptSection:
    lines = list(market.cultural_notes)
    for category, items in market.avoid.items():
        if items:
            lines.append(f"Avoid ({category}): {'; '.join(items)}.")
    if market.colour_meanings:
        meanings = "; ".join(
            f"{colour}: {meaning}" for colour, meaning in market.colour_meanings.items()
        )
        lines.append(
            f"Colour meanings in {market.name}: {meanings}. Keep brand and product colours."
        )
    lines.append(
        f"Write numbers as {market.number_format} is written in {market.name}; keep every"
        f" price's amount (currency {market.currency}, {market.currency_symbol}) unless the"
        " glossary gives another, never invent a conversion."
    )
    return PromptSection("culture", f"Cultural adaptation for {market.name}", tuple(lines))


def describe_ratio(aspect_ratio: str, source_size: tuple[int, int] | None) -> str:
    if aspect_ratio != "keep":
        return aspect_ratio
    if source_size is None:
        return "the same as the source image"
    width, height = source_size
    return f"the same as the source image ({width}x{height})"


def output(spec: PromptInput) -> PromptSection:
    ratio = describe_ratio(spec.aspect_ratio, spec.source_size)
    lines = [
        "Return one finished image, and only the image.",
        f"Image size {spec.image_size} (longest side {SIZE_PX.get(spec.image_size, 1024)} px).",
        f"Aspect ratio {ratio}."
        + (
            " Extend the background naturally to fill the new frame; never crop the product,"
            " the people or any text."
            if spec.aspect_ratio != "keep"
            else ""
        ),
    ]
    return PromptSection("output", "Output requirements", tuple(lines))
