# ruff: noqa: RUF001, RUF002
"""Text as the rules engine reads it: folded, tokenized, and matched against keywords.

- ``fold`` lowercases, applies NFKC, drops accents on Latin letters only (Devanagari
  vowel signs, Japanese dakuten and Thai marks are part of the letter) and turns
  ``ı ł đ ø`` into ``i l d o``: ``Élégant`` and ``elegant``, ``ARKA PLANI`` and
  ``arka planı`` read the same.
- A keyword written in a script without spaces between words (Han, kana, Hangul,
  Thai) or one whose words take prefixes and suffixes (Arabic, Devanagari) is
  looked for as a substring. Any other keyword is a sequence of whole tokens; a
  token ending in ``*`` is a prefix (``entfern*``), and a token of 5 letters or
  more also matches a word one edit away (typos: ``backgroud``, ``watermrk``)
  unless that word is itself a known keyword.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\w+", re.UNICODE)
_KEYWORD_TOKEN = re.compile(r"\w+\*?", re.UNICODE)
#: Latin letters that carry their mark in the letter itself (no decomposition).
_LETTERS = str.maketrans({"ı": "i", "ł": "l", "đ": "d", "ø": "o", "ħ": "h"})
#: Scripts whose keywords are matched as substrings.
_SUBSTRING_RANGES = (
    (0x0600, 0x06FF),  # Arabic
    (0x0900, 0x097F),  # Devanagari
    (0x0E00, 0x0E7F),  # Thai
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x9FFF),  # CJK ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
)
FUZZY_MIN_LENGTH = 5
#: A prefix keyword (``remov*``) needs a longer stem for typos: ``retro`` is not ``retir*``.
FUZZY_MIN_STEM = 6


def fold(text: str) -> str:
    """The text as keywords are compared with it (see the module doc)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    base = ""
    for char in decomposed:
        if unicodedata.combining(char) and base and base < "\u0250":
            continue  # an accent on a Latin letter
        if not unicodedata.combining(char):
            base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def is_spaceless(text: str) -> bool:
    """Whether ``text`` has a letter of a script matched by substring."""
    return any(lo <= ord(char) <= hi for char in text for lo, hi in _SUBSTRING_RANGES)


def tokens(folded: str) -> list[str]:
    return _TOKEN.findall(folded)


def distance_at_most_one(a: str, b: str) -> bool:
    """Optimal string alignment distance ≤ 1 (one insertion, deletion, substitution
    or swap of neighbours)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@dataclass(frozen=True)
class Keyword:
    """One keyword of a lexicon, folded once."""

    text: str
    substring: bool
    parts: tuple[str, ...]

    @staticmethod
    def of(raw: str) -> Keyword:
        folded = fold(raw)
        if is_spaceless(folded):
            return Keyword(folded, True, ())
        return Keyword(folded, False, tuple(_KEYWORD_TOKEN.findall(folded)))


@dataclass(frozen=True)
class Message:
    """A message folded and tokenized once, with the vocabulary used for typos."""

    raw: str
    folded: str
    words: tuple[str, ...]
    word_set: frozenset[str]
    #: Per vocabulary: the words it does not know (the only ones that can be typos).
    _unknown: dict[int, list[tuple[int, str]]] = field(default_factory=dict, compare=False)

    @staticmethod
    def of(raw: str) -> Message:
        folded = fold(raw)
        words = tuple(tokens(folded))
        return Message(raw, folded, words, frozenset(words))

    def unknown(self, vocabulary: frozenset[str]) -> list[tuple[int, str]]:
        key = id(vocabulary)
        if key not in self._unknown:
            self._unknown[key] = [
                (i, w)
                for i, w in enumerate(self.words)
                if w not in vocabulary and len(w) >= FUZZY_MIN_LENGTH - 1
            ]
        return self._unknown[key]

    def _find_one(self, part: str, vocabulary: frozenset[str]) -> int | None:
        if part.endswith("*"):
            stem = part[:-1]
            if stem in self.folded:
                for index, word in enumerate(self.words):
                    if word.startswith(stem):
                        return index
            if len(stem) < FUZZY_MIN_STEM:
                return None
        else:
            if part in self.word_set:
                return self.words.index(part)
            if len(part) < FUZZY_MIN_LENGTH:
                return None
        for index, word in self.unknown(vocabulary):
            if _word_matches(word, part, vocabulary):
                return index
        return None

    def _may_have(self, part: str) -> bool:
        """A quick test ruling a keyword part out when no typo could match it."""
        if part.endswith("*"):
            return len(part) - 1 >= FUZZY_MIN_STEM or part[:-1] in self.folded
        return len(part) >= FUZZY_MIN_LENGTH or part in self.word_set

    def find(self, keyword: Keyword, vocabulary: frozenset[str]) -> int | None:
        """The index of the first token where ``keyword`` matches (substring keywords:
        the character offset, as a negative number minus one), or None."""
        if keyword.substring:
            at = self.folded.find(keyword.text)
            return None if at < 0 else -at - 1
        parts = keyword.parts
        if len(parts) == 1:
            return self._find_one(parts[0], vocabulary)
        words = self.words
        if not all(self._may_have(part) for part in parts):
            return None
        for start in range(len(words) - len(parts) + 1):
            if all(
                _word_matches(words[start + i], part, vocabulary) for i, part in enumerate(parts)
            ):
                return start
        return None


def _word_matches(word: str, part: str, vocabulary: frozenset[str]) -> bool:
    if part.endswith("*"):
        stem = part[:-1]
        if word.startswith(stem):
            return True
        return (
            len(stem) >= FUZZY_MIN_STEM
            and word not in vocabulary
            and len(word) >= len(stem) - 1
            and any(distance_at_most_one(word[: len(stem) + d], stem) for d in (-1, 0, 1))
        )
    if word == part:
        return True
    return (
        len(part) >= FUZZY_MIN_LENGTH
        and len(word) >= FUZZY_MIN_LENGTH
        and word not in vocabulary
        and distance_at_most_one(word, part)
    )


class Lexicon:
    """Keywords of one meaning (``remove``, ``background``...) in many languages."""

    def __init__(self, name: str, words: Iterable[str]) -> None:
        self.name = name
        self.keywords = tuple(Keyword.of(w) for w in words)

    def plain_words(self) -> set[str]:
        return {p for k in self.keywords for p in k.parts if not p.endswith("*")}

    def first(self, message: Message, vocabulary: frozenset[str]) -> int | None:
        """Where the earliest keyword matches (see ``Message.find``), or None."""
        found = [at for k in self.keywords if (at := message.find(k, vocabulary)) is not None]
        if not found:
            return None
        token_hits = [at for at in found if at >= 0]
        return min(token_hits) if token_hits else max(found)

    def present(self, message: Message, vocabulary: frozenset[str]) -> bool:
        return any(message.find(k, vocabulary) is not None for k in self.keywords)

    def matched(self, message: Message, vocabulary: frozenset[str]) -> list[Keyword]:
        return [k for k in self.keywords if message.find(k, vocabulary) is not None]
