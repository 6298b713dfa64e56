"""The built-in templates as rows, for the migration that seeds them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pictor.engines.inpaint.templates import MarkTemplate, builtin_templates, encode_alpha


def builtin_id(name: str) -> str:
    return "wmt_builtin_" + name.replace("-", "_")


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def template_row(template: MarkTemplate) -> dict[str, Any]:
    height, width = template.alpha.shape
    return {
        "id": builtin_id(template.name),
        "owner_id": None,
        "name": template.name,
        "alpha_png": encode_alpha(template.alpha),
        "width": int(width),
        "height": int(height),
        "logo_color": to_hex(template.logo),
        "corner": template.corner,
        "placements": [asdict(p) for p in template.placements],
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def builtin_rows() -> list[dict[str, Any]]:
    return [template_row(t) for t in builtin_templates()]
