"""What the gallery knows of an output: its kind and the prompt it was made from.

Computed once, when the job stores the output (``JobContext.save_output``), and kept
on the artifact row, so listing and searching the gallery never parse job params.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Longest prompt kept on an artifact (generate and edit accept up to 4,000 characters).
MAX_PROMPT_CHARS = 4000

#: Meta roles of files a job makes alongside its outputs (a localized ad's preview):
#: stored and linked from the job's result, but not gallery items of their own.
_AUXILIARY_ROLES = frozenset({"thumbnail"})


@dataclass(frozen=True, slots=True)
class GalleryFields:
    kind: str | None
    prompt: str | None
    search_text: str | None


NOT_IN_GALLERY = GalleryFields(None, None, None)


def fold(text: str) -> str:
    """The form prompts are stored and searched in: case-folded, so "É" finds "é"."""
    return text.casefold()


def gallery_fields(
    kind: str, params: Mapping[str, Any], meta: Mapping[str, Any] | None
) -> GalleryFields:
    """The gallery's kind and prompt of one output of a ``kind`` job with ``params``."""
    if meta and meta.get("role") in _AUXILIARY_ROLES:
        return NOT_IN_GALLERY
    prompt = prompt_of(kind, params)
    return GalleryFields(kind, prompt, fold(prompt) if prompt is not None else None)


def prompt_of(kind: str, params: Mapping[str, Any]) -> str | None:
    """The words a user would search an output by, per kind.

    - ``generate``, ``edit`` (and any kind with a ``prompt`` or ``text`` param, such as
      plug-ins): the prompt;
    - ``logo``: the business name, then its type and description;
    - the others (``remove_background``, ``erase``, ``remove_watermark``, ``localize``)
      are made from an image, not from words: no prompt.
    """
    if kind == "logo":
        parts = [params.get(name) for name in ("business_name", "business_type", "description")]
        text = " — ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    else:
        found = next(
            (params[name] for name in ("prompt", "text") if isinstance(params.get(name), str)),
            "",
        )
        text = found.strip()
    return text[:MAX_PROMPT_CHARS] or None
