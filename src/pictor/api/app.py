"""create_app(settings): the FastAPI application, its runtime built once and injected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI

from pictor import __version__
from pictor.api import errors
from pictor.api.deps import KeyCache, close_accounts
from pictor.api.limits import BodyLimitMiddleware
from pictor.api.routers import (
    admin,
    auth,
    batches,
    billing,
    credits,
    gallery,
    health,
    jobs,
    localization,
    localizations,
    me,
    openai_images,
    remove_background,
    studio,
    uploads,
    webhooks,
)
from pictor.api.routers import watermark_templates as watermark_templates_router
from pictor.config import Settings
from pictor.observability.http import RequestContextMiddleware
from pictor.runtime import Runtime, build_runtime
from pictor.web import install as install_web_page


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())
    rt = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rt.start()
        if rt.admin_key_created:
            # Shown once, on the console of the first start; never logged again.
            print(
                f"pictor: created admin {settings.admin.email} with API key {rt.admin_key_created}"
            )
        try:
            yield
        finally:
            await close_accounts(app)
            await rt.stop()

    app = FastAPI(
        title="pictor",
        version=__version__,
        description="Self-hostable backend for AI image work. Every piece of work is a job.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.state.key_cache = KeyCache(settings.security.key_cache_ttl_s)
    app.state.union_tags = frozenset(rt.catalog.names())
    errors.install(app)
    app.include_router(health.router)
    app.include_router(me.router)
    app.include_router(uploads.router)
    app.include_router(jobs.build_router(rt.catalog))
    app.include_router(remove_background.router)
    app.include_router(openai_images.router)
    app.include_router(watermark_templates_router.router)
    app.include_router(localization.router)
    app.include_router(localizations.router)
    for area in (auth, admin, credits, billing, gallery, studio, batches, webhooks):
        app.include_router(area.router)
    install_web_page(app, img_origins=_storage_origins(settings))
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=rt.metrics)
    return app


def _storage_origins(settings: Settings) -> tuple[str, ...]:
    """Origins the page's images may come from besides pictor: presigned S3 downloads."""
    storage = settings.storage
    if not storage.presign:
        return ()
    endpoint = storage.presign_endpoint_url or storage.endpoint_url
    if endpoint is None:
        return ("https://*.amazonaws.com",)
    parts = urlsplit(endpoint)
    return (f"{parts.scheme}://{parts.netloc}",)
