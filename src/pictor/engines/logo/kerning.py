"""Pair kerning read from a font's GPOS ``kern`` feature (PairPos formats 1 and 2)."""

from __future__ import annotations

from typing import Any

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]


class Kerning:
    """``pair(left, right)`` in font units; 0 when the font says nothing about the pair."""

    def __init__(self, font: TTFont) -> None:
        self._pairs: dict[tuple[str, str], int] = {}
        self._classes: list[tuple[set[str], dict[str, int], dict[str, int], Any]] = []
        if "GPOS" in font:
            self._read(font["GPOS"].table)
        self._cache: dict[tuple[str, str], int] = {}

    def _read(self, table: Any) -> None:
        if table.FeatureList is None or table.LookupList is None:
            return
        indices: set[int] = set()
        for record in table.FeatureList.FeatureRecord:
            if record.FeatureTag == "kern":
                indices.update(record.Feature.LookupListIndex)
        for index in sorted(indices):
            lookup = table.LookupList.Lookup[index]
            for sub in lookup.SubTable:
                if lookup.LookupType == 9:  # extension: the real subtable is inside
                    sub = sub.ExtSubTable
                if getattr(sub, "LookupType", 2) == 2:
                    self._subtable(sub)

    def _subtable(self, sub: Any) -> None:
        glyphs = list(sub.Coverage.glyphs)
        if sub.Format == 1:
            for first, pair_set in zip(glyphs, sub.PairSet, strict=False):
                for record in pair_set.PairValueRecord:
                    value = getattr(record.Value1, "XAdvance", 0) if record.Value1 else 0
                    self._pairs.setdefault((first, record.SecondGlyph), value or 0)
        elif sub.Format == 2:
            self._classes.append(
                (set(glyphs), sub.ClassDef1.classDefs, sub.ClassDef2.classDefs, sub.Class1Record)
            )

    def pair(self, left: str, right: str) -> int:
        key = (left, right)
        if key in self._cache:
            return self._cache[key]
        value = self._pairs.get(key)
        if value is None:
            value = 0
            for coverage, class1, class2, records in self._classes:
                if left in coverage:
                    record = records[class1.get(left, 0)].Class2Record[class2.get(right, 0)]
                    value = getattr(record.Value1, "XAdvance", 0) if record.Value1 else 0
                    value = value or 0
                    if value:
                        break
        self._cache[key] = value
        return value
