# ruff: noqa: RUF001
"""The business name of a logo request.

In order: a quoted name (``"Nova Labs"``, ``«La Taza»``, ``「さくら茶房」``); the words
after "called" / "named" (any case, up to five); the capitalized words after "for"
(``logo for my bakery Golden Crust``) or before Turkish "için"; a name right
before "logo" / "のロゴ". Nothing found: None (the studio asks for it).
"""

from __future__ import annotations

import re

MAX_LENGTH = 60
_QUOTED = (
    re.compile(r"[\"“”„«»]\s*([^\"“”„«»]{1,60}?)\s*[\"“”„«»]"),
    re.compile(r"[「『]([^」』]{1,60})[」』]"),
    re.compile(r"(?:^|(?<=\s))['‘’]([^'‘’]{1,60}?)['‘’](?=\s|$|[,.!?;:])"),
)
_CALLED = re.compile(
    r"(?i)\b(?:called|named|name is|llamad[oa]|se llama|nommée?|appelée?|namens|genannt|"
    r"heißt|chiamat[oa]|si chiama|chamad[oa]|genaamd|o nazwie|под названием|называется)"
    r"\s+(.+)"
)
_FOR = re.compile(r"(?i)(?:^|\s)(?:for|para|pour|für|fur|per|voor|dla|для)\s+(.+)")
_CAPITAL_RUN = r"((?:[A-ZÀ-ÖØ-ÞÇĞİŞ][\w'’&.-]*\s+){0,4}[A-ZÀ-ÖØ-ÞÇĞİŞ][\w'’&.-]*)"
_BEFORE_ICIN = re.compile(_CAPITAL_RUN + r"\s+için")
_BEFORE_LOGO = re.compile(_CAPITAL_RUN + r"\s+(?:logo|Logo)\b")
_BEFORE_NO_LOGO = re.compile(r"([^\s、。,，の]{1,20})の(?:ロゴ|logo)")
_CONNECTORS = {"de", "da", "del", "di", "la", "le", "du", "the", "of", "&", "and", "y", "e"}
_STOP = re.compile(r"[,.;!?:(\n]|\s[-–—]\s")
_NOT_NAMES = {"logo", "a", "an", "the", "my", "our", "please", "i", "it"}


def _clean(name: str) -> str | None:
    name = " ".join(name.strip(" '\"’‘“”-").split())
    if not name or len(name) > MAX_LENGTH or name.lower() in _NOT_NAMES:
        return None
    return name


def _capitalized_run(words: list[str]) -> str | None:
    """The first run of capitalized words (lowercase connectors inside allowed)."""
    start = next((i for i, w in enumerate(words[:6]) if w[:1].isupper()), None)
    if start is None:
        return None
    run = [words[start]]
    for index in range(start + 1, min(len(words), start + 6)):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else ""
        if word[:1].isupper() or (word.lower() in _CONNECTORS and following[:1].isupper()):
            run.append(word)
        else:
            break
    return _clean(" ".join(run))


def _first_clause(text: str) -> str:
    return _STOP.split(text, maxsplit=1)[0]


def business_name(text: str) -> str | None:
    for pattern in _QUOTED:
        match = pattern.search(text)
        if match and (name := _clean(match.group(1))):
            return name
    called = _CALLED.search(text)
    if called:
        words = _first_clause(called.group(1)).split()[:5]
        if name := _clean(" ".join(words)):
            return name
    for match in _FOR.finditer(text):
        words = _first_clause(match.group(1)).split()
        if name := _capitalized_run(words):
            return name
    for pattern in (_BEFORE_ICIN, _BEFORE_LOGO, _BEFORE_NO_LOGO):
        match = pattern.search(text)
        if match and (name := _clean(match.group(1))):
            return name
    return None
