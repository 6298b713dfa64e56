"""The rules engine's context rules, typo tolerance and job building."""

from __future__ import annotations

import pytest

from pictor.studio.engines.jobs import NoJob, to_job, valid_params
from pictor.studio.engines.rules import understand
from pictor.studio.engines.text import distance_at_most_one, fold
from pictor.studio.intent import Intent, MessageContext

LAST = MessageContext(last_image_id="art_last")


def test_an_edit_without_an_image_applies_to_the_session_s_last_one() -> None:
    intent = understand("make it warmer", LAST)
    assert (intent.kind, intent.image_ids) == ("edit", ("art_last",))
    assert understand("now remove the background", LAST).image_ids == ("art_last",)


def test_attached_images_win_over_the_last_one() -> None:
    context = MessageContext(image_ids=("art_new",), last_image_id="art_last")
    assert understand("remove the background", context).image_ids == ("art_new",)


def test_no_image_anywhere_is_an_answer_asking_for_one() -> None:
    intent = understand("remove the watermark", MessageContext())
    assert intent.kind == "answer"
    assert "Attach an image" in intent.reply


def test_generate_needs_no_image_and_takes_none() -> None:
    intent = understand("draw a lighthouse in a storm", LAST)
    assert (intent.kind, intent.image_ids) == ("generate", ())
    assert intent.prompt == "A lighthouse in a storm"


def test_generate_with_an_attached_photo_edits_it() -> None:
    context = MessageContext(image_ids=("art_shop",))
    assert understand("generate a poster using this photo", context).kind == "edit"


@pytest.mark.parametrize(
    "text", ["remove the backgorund", "remove the backgroud", "REMOVE THE BACKGROUND"]
)
def test_typos_and_case_are_tolerated(text: str) -> None:
    assert understand(text, LAST).kind == "remove_background"


def test_accents_fold_on_latin_letters_only() -> None:
    assert fold("Élégant ARKA PLANI") == "elegant arka plani"
    assert fold("背景を消して") == "背景を消して"
    assert fold("हिन्दी") == "हिन्दी"
    assert distance_at_most_one("watermrk", "watermark")
    assert not distance_at_most_one("retro", "retire")


def test_a_logo_without_a_name_asks_for_it_and_the_next_message_gives_it() -> None:
    first = understand("make me a logo", MessageContext())
    assert first.kind == "answer"
    assert "called" in first.reply
    second = understand("Golden Crust", MessageContext(history=("make me a logo",)))
    assert second.kind == "logo"
    assert second.params["business_name"] == "Golden Crust"


def test_localize_params_name_catalog_ids() -> None:
    intent = understand("translate this ad into Japanese and for the UK, 2K", LAST)
    kind, params = to_job(intent)
    assert kind == "localize"
    assert params["target_languages"] == ["japanese"]
    assert params["target_markets"] == ["uk"]
    assert params["image_size"] == "2K"


def test_localize_without_a_target_asks_which() -> None:
    intent = understand("translate this ad", LAST)
    assert intent.kind == "answer"
    assert "languages" in intent.reply


def test_remove_background_params() -> None:
    intent = understand("cut out the product on a white background with 12 px padding", LAST)
    kind, params = to_job(intent)
    assert kind == "remove_background"
    assert params == {"background_color": "#ffffff", "trim": True, "padding": 12}


def test_erase_in_a_named_corner_erases_a_box_there() -> None:
    kind, params = to_job(understand("remove the text in the bottom left corner", LAST))
    assert kind == "erase"
    assert params["units"] == "percent"
    assert params["regions"] == [{"x": 0.0, "y": 85.0, "w": 25.0, "h": 15.0}]


def test_erase_without_a_place_becomes_a_generative_edit() -> None:
    intent = understand("erase the person on the left", LAST)
    assert intent.kind == "erase"
    assert to_job(intent) == ("edit", {"prompt": "Erase the person on the left"})


def test_remove_watermark_defaults_to_the_bottom_right_corner() -> None:
    _, params = to_job(understand("remove the watermark", LAST))
    assert params["region"]["corner"] == "bottom-right"
    _, named = to_job(understand("remove the sample-star watermark", LAST))
    assert named == {"template": "sample-star"}


def test_logo_params_are_what_the_logo_job_accepts() -> None:
    text = 'logo for "Nova Labs", tech startup, blue and white, 4 options'
    kind, params = to_job(understand(text, MessageContext()))
    assert kind == "logo"
    assert params["business_name"] == "Nova Labs"
    assert params["style"] == "tech"
    assert params["colors"] == ["#0000ff", "#ffffff"]
    assert params["variants"] == 4


def test_an_answer_is_not_a_job() -> None:
    with pytest.raises(NoJob):
        to_job(Intent(kind="answer", reply="hi"))


@pytest.mark.parametrize("text", ["hmm", "?", "asdf qwer"])
def test_nothing_that_scores_is_an_answer_with_examples(text: str) -> None:
    intent = understand(text, LAST)
    assert intent.kind == "answer"
    assert "Try" in intent.reply


def test_a_wrong_value_is_dropped_not_failed() -> None:
    # A style the logo studio does not know would fail LogoParams: it is left out.
    intent = Intent(
        kind="logo", params={"business_name": "Acme", "style": "baroque"}, engine="rules"
    )
    assert valid_params(intent).params == {"business_name": "Acme"}
