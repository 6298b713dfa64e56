"""The localization prompt: its sections and what each says, per market and language."""

from __future__ import annotations

from typing import Any

import pytest

from pictor.localization.catalog import Language, Market, load_catalog
from pictor.localization.prompt import LocalizePrompt, PromptInput, build_prompt

ORDER = ["objective", "editing", "style", "camera", "culture", "output"]


def market(**values: Any) -> Market:
    base = load_catalog().market("japan").model_dump()
    base.update(values)
    return Market.model_validate(base)


def arabic() -> Language:
    return Language(
        id="arabic",
        code="ar",
        english_name="Arabic",
        native_name="العربية",
        script="Arabic",
        direction="rtl",
        default_market="japan",
        fonts=["Noto Naskh Arabic"],
    )


def prompt(**values: Any) -> LocalizePrompt:
    catalog = load_catalog()
    base: dict[str, Any] = {
        "source_language": catalog.language("english"),
        "target_language": catalog.language("japanese"),
        "market": catalog.market("japan"),
    }
    base.update(values)
    return build_prompt(PromptInput(**base))


def test_sections_come_in_order_and_the_text_is_their_rendering() -> None:
    built = prompt()
    assert [s.key for s in built.sections] == ORDER
    assert built.text == "\n\n".join(s.render() for s in built.sections)
    assert built.text.startswith("## Objective\n- Localize the attached product advertisement")
    assert built.to_dict()["text"] == built.text


@pytest.mark.parametrize(("language_id", "market_id"), [("japanese", "japan"), ("english", "usa")])
def test_objective_and_editing_name_the_target_language_script_and_market(
    language_id: str, market_id: str
) -> None:
    catalog = load_catalog()
    language, where = catalog.language(language_id), catalog.market(market_id)
    built = prompt(target_language=language, market=where)
    objective = "\n".join(built.section("objective").lines)
    assert where.name in objective and where.region in objective
    assert language.native_name in objective and language.code in objective
    editing = "\n".join(built.section("editing").lines)
    if language_id == "english":
        assert "already in English" in editing and "keep its wording" in editing
    else:
        assert f"into {language.english_name}" in editing
        assert f"{language.script} script" in editing
    for kept in ("same size, weight", "no crop", "product identical", "brand names, logos"):
        assert kept in editing


def test_brand_terms_are_listed_to_be_copied_exactly() -> None:
    editing = prompt(brand_terms=("Acme", "ZoomMax 3")).section("editing").lines
    [line] = [line for line in editing if "Never translate" in line]
    assert '"Acme", "ZoomMax 3"' in line


def test_people_are_adapted_to_the_market_unless_preserved() -> None:
    where = market(people="East Asian adults in everyday Tokyo clothing.")
    adapted = "\n".join(prompt(market=where).section("editing").lines)
    assert "Adapt the people shown to the Japan market" in adapted
    assert "East Asian adults in everyday Tokyo clothing." in adapted
    kept = "\n".join(prompt(market=where, preserve_people=True).section("editing").lines)
    assert "Keep every person exactly as they are" in kept
    assert "Tokyo" not in kept


def test_user_translations_become_a_glossary_section() -> None:
    assert "glossary" not in [s.key for s in prompt().sections]
    built = prompt(translations={"Summer Sale": "サマーセール", "Buy now": "今すぐ購入"})
    assert [s.key for s in built.sections][2] == "glossary"
    assert built.section("glossary").lines == (
        '"Summer Sale" → "サマーセール"',
        '"Buy now" → "今すぐ購入"',
    )


def test_cultural_section_carries_notes_things_to_avoid_colours_and_formats() -> None:
    where = market(
        cultural_notes=["Seasonal motifs matter."],
        avoid={"numbers": ["4 (sounds like death)"], "gestures": []},
        colour_meanings={"white": "purity, also mourning"},
        number_format="1,234,567",
    )
    culture = prompt(market=where).section("culture")
    assert culture.title == "Cultural adaptation for Japan"
    assert culture.lines[0] == "Seasonal motifs matter."
    assert "Avoid (numbers): 4 (sounds like death)." in culture.lines
    assert not any("gestures" in line for line in culture.lines), "empty categories are skipped"
    assert any("white: purity, also mourning" in line for line in culture.lines)
    assert any("1,234,567" in line and "JPY" in line for line in culture.lines)


def test_right_to_left_languages_are_told_so() -> None:
    editing = "\n".join(prompt(target_language=arabic()).section("editing").lines)
    assert "right to left" in editing
    assert "right to left" not in "\n".join(prompt().section("editing").lines)


def test_output_requirements_carry_size_and_ratio() -> None:
    wide = prompt(image_size="4K", aspect_ratio="16:9").section("output").lines
    assert "Image size 4K (longest side 4096 px)." in wide
    assert any(line.startswith("Aspect ratio 16:9.") and "never crop" in line for line in wide)
    kept = prompt(aspect_ratio="keep", source_size=(1200, 628)).section("output").lines
    assert "Aspect ratio the same as the source image (1200x628)." in kept


def test_style_and_camera_sections_keep_the_look() -> None:
    built = prompt()
    assert "Keep the camera angle" in built.section("camera").lines[0]
    assert "lighting" in built.section("camera").lines[1]
    assert "colour palette" in built.section("style").lines[0]
