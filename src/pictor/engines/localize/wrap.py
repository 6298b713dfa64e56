"""Line breaking for re-rendered text.

Spaced scripts (Latin, Cyrillic, Arabic, Devanagari...) break at spaces; a word wider
than the line is broken between grapheme clusters. CJK breaks between any two clusters
except before closing punctuation and after opening punctuation (kinsoku). Thai has no
spaces between words: without a dictionary it breaks between clusters, never inside
one (a consonant keeps its vowel and tone marks), never after a leading vowel
(เ แ โ ใ ไ) nor before a following vowel (ะ า ำ ๅ).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Literal

WrapMode = Literal["words", "cjk", "thai"]

_JOINERS = {"\u200c", "\u200d"}
_VIRAMAS = {"\u094d", "\u09cd", "\u0a4d", "\u0acd", "\u0b4d", "\u0bcd", "\u0c4d", "\u0ccd"}
#: No line may start with these (closing punctuation, small kana, prolonged sound mark).
_NO_START = set(
    "\u3001\u3002\uff0c\uff0e\u30fb\uff1a\uff1b\uff1f\uff01\u30fc"  # CJK punctuation
    "\u300d\u300f\uff09\u3011\u3015\u3009\u300b\u201d\u2019"  # closing brackets, quotes
    "ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.!?:;)]}%"
)
#: No line may end with these (opening punctuation).
_NO_END = set("\u300c\u300e\uff08\u3010\u3014\u3008\u300a\u201c\u2018([{")
_THAI_LEADING = set("เแโใไ")
_THAI_FOLLOWING = set("ะาำๅ")


def wrap_mode(language_id: str, script: str) -> WrapMode:
    if language_id == "thai" or script.lower().startswith("thai"):
        return "thai"
    cjk = ("japanese", "chinese_simplified", "chinese_traditional")
    if language_id in cjk or script.lower().startswith(("han", "japanese", "chinese")):
        return "cjk"
    return "words"


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters, approximately: a base with its combining marks, and
    Indic conjuncts (consonant + virama + consonant) and joiner sequences kept whole."""
    clusters: list[str] = []
    for ch in text:
        joins = bool(clusters) and (
            unicodedata.category(ch).startswith("M")
            or ch in _JOINERS
            or clusters[-1][-1] in _JOINERS
            or clusters[-1][-1] in _VIRAMAS
        )
        if joins:
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _cluster_atoms(word: str, mode: WrapMode) -> list[str]:
    """Pieces of one word between which a line may break."""
    atoms: list[str] = []
    for cluster in graphemes(word):
        glue = bool(atoms) and (
            cluster[0] in _NO_START
            or atoms[-1][-1] in _NO_END
            or (mode == "thai" and atoms[-1][-1] in _THAI_LEADING)
            or (mode == "thai" and cluster[0] in _THAI_FOLLOWING)
            # Runs of Latin letters and digits inside CJK text stay whole.
            or (mode == "cjk" and _is_alnum_latin(atoms[-1][-1]) and _is_alnum_latin(cluster[0]))
        )
        if glue:
            atoms[-1] += cluster
        else:
            atoms.append(cluster)
    return atoms


def _is_alnum_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def wrap(text: str, measure: Callable[[str], float], width: float, mode: WrapMode) -> list[str]:
    """Greedy lines of ``text`` no wider than ``width`` where a break allows it.

    A single atom wider than ``width`` stays on its own line (the caller shrinks the font).
    """
    words = re.findall(r"\S+\s*", text.strip())
    atoms: list[str] = []
    for word in words:
        if mode == "cjk" or measure(word.rstrip()) > width:
            atoms += _cluster_atoms(word, mode)
        else:
            atoms.append(word)
    lines: list[str] = []
    current = ""
    for atom in atoms:
        candidate = current + atom
        if current and measure(candidate.rstrip()) > width:
            lines.append(current.rstrip())
            current = atom
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines
