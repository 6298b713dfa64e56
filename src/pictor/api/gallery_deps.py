"""The gallery service of a running app, as a request dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from pictor.gallery.background import TrashPurger
from pictor.gallery.service import GalleryService
from pictor.runtime import Runtime


def gallery_service(request: Request) -> GalleryService:
    """The process's one GalleryService (it remembers the thumbnails being made)."""
    runtime: Runtime = request.app.state.runtime
    purger = runtime.services.get("gallery")
    if isinstance(purger, TrashPurger):
        return purger.gallery
    # A runtime that was not started has no services: one service per app then.
    service: GalleryService | None = getattr(request.app.state, "gallery", None)
    if service is None:
        service = GalleryService(runtime.db, runtime.store, runtime.settings.gallery)
        request.app.state.gallery = service
    return service


GalleryDep = Annotated[GalleryService, Depends(gallery_service)]
