"""How an engine reports whether it can run, for ``GET /ready`` and clear errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Availability:
    available: bool
    detail: str = ""

    @classmethod
    def ok(cls, detail: str = "") -> Availability:
        return cls(True, detail)

    @classmethod
    def missing(cls, why: str) -> Availability:
        return cls(False, why)
