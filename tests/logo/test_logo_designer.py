"""The procedural logo designer: safe SVG, determinism, variety, contrast, industries."""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from xml.etree import ElementTree

import pytest
from PIL import Image

from pictor.engines.logo.base import LogoBrief
from pictor.engines.logo.brandkit import FAVICON_SIZES, brand_kit, make_variant
from pictor.engines.logo.colors import contrast, ensure_contrast, parse_color
from pictor.engines.logo.designer import ProceduralLogoDesigner
from pictor.engines.logo.industry import detect_industry
from pictor.engines.logo.styles import STYLES

SVG_NS = "{http://www.w3.org/2000/svg}"
DESIGNER = ProceduralLogoDesigner()
BAKERY = LogoBrief("Golden Crust Bakery", "bakery", "", "playful", ("#e4572e",), 7)


def assert_safe_svg(svg: str) -> None:
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    tags = {el.tag.removeprefix(SVG_NS) for el in root.iter()}
    assert not tags & {"text", "tspan", "script", "image", "use", "foreignObject", "a", "style"}
    for el in root.iter():
        for key, value in el.attrib.items():
            assert "href" not in key, (el.tag, key)
            assert not key.startswith("on"), (el.tag, key)
            assert "url(" not in value and "http" not in value.replace(
                "http://www.w3.org/2000/svg", ""
            ), (el.tag, key, value)


def test_every_variant_is_valid_safe_svg_with_text_as_outlines() -> None:
    for index in range(12):
        design = DESIGNER.design(BAKERY, index)
        assert_safe_svg(design.svg)
        assert_safe_svg(design.favicon_svg)
        assert "Golden" not in design.svg.split("</title>", 1)[1], "the name must be outlines"


def test_same_brief_and_seed_give_byte_identical_svg() -> None:
    again = LogoBrief(**BAKERY.__dict__)
    for index in range(6):
        assert DESIGNER.design(BAKERY, index).svg == DESIGNER.design(again, index).svg


def test_another_seed_gives_other_logos() -> None:
    other = LogoBrief(**{**BAKERY.__dict__, "seed": 8})
    differ = [DESIGNER.design(BAKERY, i).svg != DESIGNER.design(other, i).svg for i in range(6)]
    assert sum(differ) >= 4


def test_variants_of_one_job_differ_in_mark_and_layout() -> None:
    designs = [DESIGNER.design(BAKERY, i) for i in range(6)]
    assert len({d.svg for d in designs}) == 6
    assert len({(d.mark, d.layout) for d in designs}) == 6
    assert {d.mark for d in designs} == {"icon", "monogram", "emblem", "badge", "wordmark"}
    assert {"horizontal", "stacked", "badge", "icon_only", "wordmark"} <= {
        d.layout for d in designs
    }
    for a, b in itertools.pairwise(designs):
        assert a.mark != b.mark and a.layout != b.layout


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("colors", [(), ("#ffff00",), ("#777777",), ("navy", "gold")])
def test_the_name_reaches_wcag_aa_contrast_in_every_variant(
    style: str, colors: tuple[str, ...]
) -> None:
    brief = LogoBrief("Northwind Studio", "photography", "", style, colors, 3)
    for index in range(12):
        design = DESIGNER.design(brief, index)
        assert design.contrast >= 4.5, (style, colors, index, design.palette)
        if design.layout in ("horizontal", "stacked", "wordmark"):
            ink = parse_color(design.palette["ink"])
            assert contrast(ink, (255, 255, 255)) >= 4.5
        if design.layout == "badge":
            fill, text = design.palette["primary"], design.palette["on_primary"]
            assert contrast(parse_color(text), parse_color(fill)) >= 4.5


def test_contrast_is_fixed_by_moving_lightness() -> None:
    for color in ["#ffff00", "#e4572e", "#88ccff", "#ffffff", "#808080"]:
        fixed = ensure_contrast(parse_color(color), (255, 255, 255))
        assert contrast(fixed, (255, 255, 255)) >= 4.5
    dark = ensure_contrast((20, 20, 60), (10, 10, 10))
    assert contrast(dark, (10, 10, 10)) >= 4.5


@pytest.mark.parametrize(
    ("business_type", "description", "expected"),
    [
        ("retail", "", "retail"),
        ("AI startup", "", "tech"),
        ("", "we bake bread and pastry every morning", "bakery"),
        ("bakeries", "", "bakery"),
        ("Coffee shop", "", "coffee"),
        ("mountain guides", "", "general"),
        ("maintenance", "", "general"),  # contains "ai" and "tena", names nothing
        ("Dog grooming", "", "pets"),
    ],
)
def test_industry_is_found_from_whole_words(
    business_type: str, description: str, expected: str
) -> None:
    assert detect_industry(business_type, description).name == expected


def test_icons_follow_the_industry() -> None:
    design = DESIGNER.design(BAKERY, 0)
    assert design.industry == "bakery"
    assert design.icon in {"croissant", "cake-slice", "wheat", "cookie"}
    assert 'd="M' in design.svg


def test_names_with_characters_no_font_has_are_drawn_without_them_and_say_so() -> None:
    design = DESIGNER.design(LogoBrief("Café ☃ Noir", "cafe", seed=1), 0)
    assert_safe_svg(design.svg)
    assert any("☃" in w for w in design.warnings)
    assert not any("é" in w for w in design.warnings)


def test_pngs_have_the_sizes_and_transparency_asked_for() -> None:
    rendered = make_variant(DESIGNER, BAKERY, 0)
    assert {p.name for p in rendered.pngs} == {
        "logo-512-transparent",
        "logo-512-white",
        "logo-1024-transparent",
        "logo-1024-white",
    }
    for png in rendered.pngs:
        image = Image.open(io.BytesIO(png.data))
        assert image.format == "PNG" and image.mode == "RGBA"
        assert max(image.size) == png.size and image.size == (png.width, png.height)
        corner = image.getpixel((0, 0))
        assert isinstance(corner, tuple)
        if png.background is None:
            assert corner[3] == 0
        else:
            assert corner == (255, 255, 255, 255)
        alpha = image.getchannel("A").getextrema()
        assert alpha[1] == 255, "the logo itself is opaque"
    assert [Image.open(io.BytesIO(f.data)).size for f in rendered.favicons] == [
        (s, s) for s in FAVICON_SIZES
    ]


def test_brand_kit_zip_holds_every_file_and_the_palette() -> None:
    made = [make_variant(DESIGNER, BAKERY, i) for i in range(2)]
    kit = zipfile.ZipFile(io.BytesIO(brand_kit(BAKERY, made, DESIGNER.engine_id)))
    names = set(kit.namelist())
    for folder in ("variant-1", "variant-2"):
        assert f"{folder}/logo.svg" in names and f"{folder}/icon.svg" in names
        for size in (512, 1024):
            pngs = {f"{folder}/logo-{size}-{bg}.png" for bg in ("transparent", "white")}
            assert pngs <= names
        assert {f"{folder}/favicon-{s}.png" for s in FAVICON_SIZES} <= names
    palette = json.loads(kit.read("palette.json"))
    assert [v["folder"] for v in palette["variants"]] == ["variant-1", "variant-2"]
    assert re.fullmatch(r"#[0-9a-f]{6}", palette["variants"][0]["palette"]["primary"])
    assert palette["variants"][0]["fonts"][0]["license"] == "SIL Open Font License 1.1"
    assert brand_kit(BAKERY, made, DESIGNER.engine_id) == brand_kit(
        BAKERY, made, DESIGNER.engine_id
    ), "the kit is deterministic too"
