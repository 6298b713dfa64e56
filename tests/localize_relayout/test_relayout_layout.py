"""Line breaking, user-translation matching and the crop/pad fit."""

from __future__ import annotations

import numpy as np

from pictor.engines.localize.fit import output_size, place, scale_for
from pictor.engines.localize.translate import UserTranslations, parse_reply
from pictor.engines.localize.wrap import graphemes, wrap


def by_chars(text: str) -> float:
    return float(len(text))


def test_spaced_scripts_wrap_at_spaces() -> None:
    assert wrap("Bis zu 50 % Rabatt auf alles", by_chars, 12, "words") == [
        "Bis zu 50 %",
        "Rabatt auf",
        "alles",
    ]


def test_thai_breaks_between_clusters_never_inside_one() -> None:
    text = "ลดราคาฤดูร้อนวันนี้เท่านั้น"
    lines = wrap(text, by_chars, 6, "thai")
    assert "".join(lines) == text
    clusters = graphemes(text)
    bounds = {sum(len(c) for c in clusters[:i]) for i in range(len(clusters) + 1)}
    position = 0
    for line in lines[:-1]:
        position += len(line)
        assert position in bounds, f"split inside a cluster after {line!r}"
        # A leading vowel never ends a line, a following vowel never starts one.
        assert line[-1] not in "เแโใไ"
    assert all(line[0] not in "ะาำๅ" for line in lines)


def test_cjk_breaks_anywhere_but_before_closing_punctuation() -> None:
    lines = wrap("最大50%オフ、本日限り。", by_chars, 4, "cjk")
    assert "".join(lines) == "最大50%オフ、本日限り。"
    assert all(line[0] not in "、。" for line in lines)
    assert any("50%" in line for line in lines)  # Latin runs stay whole


def test_user_translations_match_after_whitespace_and_case() -> None:
    table = UserTranslations.of({"Summer  SALE": "Sommer", "shop now": "Kaufen"})
    assert table.get(" Summer SALE\n") == "Sommer"
    assert table.get("SHOP NOW") == "Kaufen"
    assert table.get("Free delivery") is None


def test_a_provider_answer_dropping_a_brand_term_is_refused() -> None:
    raw = '{"translations": [{"source": "ACME shoes", "target": "Schuhe"},' \
          ' {"source": "Shop now", "target": "Jetzt kaufen"}]}'  # fmt: skip
    got = parse_reply(raw, ["ACME shoes", "Shop now", "Free"], ("ACME",))
    assert got.accepted == {"Shop now": "Jetzt kaufen"}
    assert "ACME" in got.refused["ACME shoes"]
    assert got.refused["Free"] == "the provider gave no translation"
    bad = parse_reply("not json", ["Shop now"], ())
    assert bad.accepted == {} and "Shop now" in bad.refused


def test_output_size_follows_the_size_and_ratio() -> None:
    assert output_size(1000, 800, "1K", "keep") == (1024, 819)
    assert output_size(1000, 800, "2K", "9:16") == (1152, 2048)
    assert output_size(1000, 800, "4K", "21:9") == (4096, 1755)


def test_pad_keeps_the_whole_image_and_extends_its_edges() -> None:
    rgb = np.zeros((100, 200, 3), np.uint8)
    rgb[:, :, 0] = 200
    rgb[40:60, 90:110] = (0, 255, 0)
    out = place(rgb, (200, 200), "pad", [])
    assert out.shape == (200, 200, 3)
    assert np.array_equal(out[50:150], rgb)
    # The margins continue the edge colour, no black bars.
    assert np.abs(out[:50].astype(int) - (200, 0, 0)).max() < 3


def test_crop_keeps_the_text_and_the_salient_part() -> None:
    rgb = np.full((100, 300, 3), 128, np.uint8)
    rgb[30:70, 230:290] = 255  # a bright product at the right
    out = place(rgb, (100, 100), "crop", [(235, 40, 285, 60)])
    assert out.shape == (100, 100, 3)
    assert (out == 255).all(axis=2).sum() == 40 * 60
    assert scale_for(300, 100, (100, 100), "crop") == 1.0
