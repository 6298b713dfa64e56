"""What studio runs in the background of a running pictor (nothing yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pictor.runtime import Runtime, Service


def attach(runtime: Runtime) -> Service | None:
    """The background service of studio, started and stopped with the runtime."""
    return None
