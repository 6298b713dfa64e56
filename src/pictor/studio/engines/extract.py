# ruff: noqa: RUF001
"""Parameters said in a message: shape, size, count, colours, padding, names...

Everything here reads text only; which of it a job takes is decided in ``assemble``.
Spans of the raw text that only set a parameter ("in 16:9", "3 variations") are
kept so the prompt can leave them out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pictor.studio.engines.cues import (
    ASPECT_WORDS,
    COLOR_WORDS,
    LOGO_STYLE_WORDS,
    RESOLUTION_WORDS,
    STYLE_CUES,
)
from pictor.studio.engines.lexicon import BACKGROUND, CORNERS
from pictor.studio.engines.locales import Targets, find_targets
from pictor.studio.engines.text import Keyword, Lexicon, Message

RATIOS = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
_RATIO = re.compile(r"(?<![\d.])(\d{1,2})\s*[:/]\s*(\d{1,2})(?![\d.])")
_SIZE = re.compile(r"(?<!\d)(\d{3,5})\s*[x×*]\s*(\d{3,5})(?!\d)")
_K = re.compile(r"(?i)(?:\b(?:in|at|en|auf|in|em)\s+)?(?<![\w.])([1248])\s?k\b(?!\w)")
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "a couple of": 2,
    "a few": 3,
    "couple": 2,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "due": 2,
    "tre": 3,
    "quattro": 4,
    "duas": 2,
    "três": 3,
    "quatro": 4,
    "twee": 2,
    "dwa": 2,
    "dwie": 2,
    "trzy": 3,
    "cztery": 4,
    "iki": 2,
    "üç": 3,
    "dört": 4,
    "две": 2,
    "два": 2,
    "три": 3,
    "четыре": 4,
    "five": 5,
    "six": 6,
    "eight": 8,
}
_COUNTED = (
    r"(?:images?|pictures?|pics?|photos?|shots?|variations?|versions?|options?|variants?|"
    r"takes?|ideas?|designs?|logos?|im[aá]gen(?:es)?|fotos?|versiones|opciones|variantes|"
    r"bilder|varianten|versionen|immagini|varianti|opzioni|imagens|op[cç][õo]es|"
    r"afbeeldingen|obrazy|resim|g[öo]rsel|изображени\w*|картин\w*|вариант\w*)"
)
_COUNT = re.compile(
    r"(?i)(?<!\w)(\d{1,2}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"\s+(?:\w+\s+){0,2}?" + _COUNTED + r"\b"
)
_COUNT_CJK = re.compile(r"([1-9１-９一二两三四五六七八九])\s*(?:枚|张|張|장|つ|个|개)")
_CJK_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_PADDING = re.compile(
    r"(?i)(?:(\d{1,4})\s*(?:px|pixels?)\s*(?:of\s+)?(?:padding|margin|border|space|marg\w*|rand))"
    r"|(?:(?:padding|margin|marg\w*|rand|abstand|отступ\w*|余白|여백)\D{0,12}?(\d{1,4}))"
)
_HEX = re.compile(r"(?<!\w)#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_TEMPLATE = re.compile(
    r"(?i)(?:template\s+[\"']?([\w-]{2,80})|\b([a-z0-9]+(?:-[a-z0-9]+)+)\s+(?:watermark|mark))"
)
_PROMPT_NOISE = re.compile(
    r"(?i)\b(?:in|at|as)?\s*(?:a\s+)?(?:square|vertical|horizontal|widescreen|ultrawide|"
    r"(?:portrait|landscape)\s+(?:format|mode|orientation)|in\s+(?:portrait|landscape)|"
    r"high[- ]res(?:olution)?|hi-res|full hd|ultra hd|uhd|hd)\b(?:\s+(?:format|image))?"
    r"|\b(?:for\s+)?(?:instagram\s+)?(?:stories|story|reels?)\b"
)
TRIM = Lexicon(
    "trim",
    [
        "trim",
        "crop tight",
        "tight crop",
        "tightly",
        "crop to the subject",
        "crop to subject",
        "crop to the product",
        "no margin",
        "recortar al sujeto",
        "recadrer",
        "zuschneiden",
        "ritaglia",
        "cortar rente",
    ],
)
ONLY_MASK = Lexicon("mask", ["only the mask", "just the mask", "mask only", "alpha mask"])
CORNER_LEXICONS = {corner: Lexicon(corner, words) for corner, words in CORNERS.items()}
STYLE_LEXICONS = {style: Lexicon(style, words) for style, words in LOGO_STYLE_WORDS.items()}
CUE_LEXICONS = {cue: Lexicon(cue, words) for cue, words in STYLE_CUES.items()}
COLOR_KEYWORDS = [(Keyword.of(w), hex_) for hex_, words in COLOR_WORDS.items() for w in words]
_ON = {"on", "onto", "over", "sur", "auf", "su", "sobre", "op", "na", "на"}


@dataclass
class Extracted:
    aspect_ratio: str | None = None
    size: str | None = None
    resolution: str | None = None
    n: int | None = None
    colors: list[str] = field(default_factory=list)
    background_color: str | None = None
    padding: int | None = None
    trim: bool = False
    only_mask: bool = False
    output_format: str | None = None
    corner: str | None = None
    template: str | None = None
    logo_style: str | None = None
    style_cues: list[str] = field(default_factory=list)
    targets: Targets = field(default_factory=lambda: Targets((), ()))
    spans: list[tuple[int, int]] = field(default_factory=list)


def _exact(message: Message, lexicon: Lexicon) -> bool:
    return lexicon.present(message, message.word_set)  # every word known: no typos


def _shape(message: Message, out: Extracted) -> None:
    for match in _RATIO.finditer(message.raw):
        ratio = f"{int(match.group(1))}:{int(match.group(2))}"
        if ratio in RATIOS:
            out.aspect_ratio = ratio
            out.spans.append(match.span())
            return
    size = _SIZE.search(message.raw)
    if size is not None:
        out.size = f"{int(size.group(1))}x{int(size.group(2))}"
        out.spans.append(size.span())
        return
    for ratio, lexicon in ASPECT_WORDS.items():
        if _exact(message, lexicon):
            out.aspect_ratio = ratio
            return


def _resolution(message: Message, out: Extracted) -> None:
    match = _K.search(message.raw)
    if match is not None:
        out.resolution = {"1": "1K", "2": "2K"}.get(match.group(1), "4K")
        out.spans.append(match.span())
        return
    for value, lexicon in RESOLUTION_WORDS.items():
        if _exact(message, lexicon):
            out.resolution = value
            return


def _count(message: Message, out: Extracted) -> None:
    match = _COUNT.search(message.raw)
    if match is not None:
        word = match.group(1).lower()
        out.n = int(word) if word.isdigit() else _NUMBER_WORDS[word]
        if len(match.group(0).split()) == 2:  # "3 images": only routing; "3 product shots": kept
            out.spans.append(match.span())
        return
    cjk = _COUNT_CJK.search(message.raw)
    if cjk is not None:
        char = cjk.group(1)
        out.n = _CJK_NUMBERS.get(char) or int(char)


def colors_in(message: Message) -> list[tuple[int, str]]:
    """(position, hex) of each colour named, in order, each colour once."""
    found: dict[str, int] = {}
    for match in _HEX.finditer(message.raw):
        digits = match.group(1).lower()
        hex_ = "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))
        found.setdefault(hex_, len(message.raw[: match.start()].split()))
    for keyword, hex_ in COLOR_KEYWORDS:
        at = message.find(keyword, message.word_set)
        if at is not None and hex_ not in found:
            found[hex_] = at if at >= 0 else 10_000 - at
    return sorted((at, hex_) for hex_, at in found.items())


def _background_color(message: Message, colors: list[tuple[int, str]]) -> str | None:
    """A colour said next to "background" (within 3 words), or anywhere in a message
    without spaces that names the background."""
    where = BACKGROUND.first(message, message.word_set)
    if where is None or not colors:
        return None
    if where < 0 or any(at >= 10_000 for at, _ in colors):
        return colors[0][1]
    near = [(abs(at - where), hex_) for at, hex_ in colors if abs(at - where) <= 3]
    if near:
        return min(near)[1]
    # "remove the background and put it on white": a colour the subject goes on.
    words = message.words
    on = [
        hex_
        for at, hex_ in colors
        if 0 < at < 10_000 and _ON.intersection(words[max(0, at - 2) : at])
    ]
    return on[0] if on else None


def extract(message: Message) -> Extracted:
    out = Extracted()
    _shape(message, out)
    _resolution(message, out)
    _count(message, out)
    colors = colors_in(message)
    out.colors = [hex_ for _, hex_ in colors][:5]
    out.background_color = _background_color(message, colors)
    padding = _PADDING.search(message.raw)
    if padding is not None:
        out.padding = min(1000, int(padding.group(1) or padding.group(2)))
    out.trim = _exact(message, TRIM) or out.padding is not None
    out.only_mask = _exact(message, ONLY_MASK)
    lowered = message.folded
    out.output_format = next((f for f in ("webp", "jpeg", "jpg") if f in lowered), None)
    if out.output_format == "jpg":
        out.output_format = "jpeg"
    out.corner = next((c for c, lex in CORNER_LEXICONS.items() if _exact(message, lex)), None)
    template = _TEMPLATE.search(message.raw)
    if template is not None:
        out.template = (template.group(1) or template.group(2)).lower()
    out.logo_style = next((s for s, lex in STYLE_LEXICONS.items() if _exact(message, lex)), None)
    out.style_cues = [
        cue
        for cue, lexicon in CUE_LEXICONS.items()
        if _exact(message, lexicon) and cue not in lowered
    ]
    out.targets = find_targets(message)
    out.spans += [m.span() for m in _PROMPT_NOISE.finditer(message.raw)]
    return out
