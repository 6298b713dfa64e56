"""The studio web page: static files shipped in the package, served at ``/``.

The page is a client of the public ``/v1`` API like any other; nothing here reads the
database. No build step: plain ES modules and one stylesheet, so ``pip install`` is all
it takes and the page works offline and on private networks (no CDN).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"

# Everything comes from pictor itself. Images may also come from blob: (local previews)
# and data: URLs; `img_origins` adds the storage origin when downloads are redirected to
# presigned S3 URLs.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:{img}; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(img_origins: tuple[str, ...] = ()) -> str:
    extra = "".join(f" {origin}" for origin in img_origins)
    return _CSP.format(img=extra)


class _PageHeaders:
    """Security headers and no-cache revalidation on the page and its files: the one place
    that sets them."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-cache"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, *, img_origins: tuple[str, ...] = ()) -> None:
    """Serve the page at ``/`` and its files under ``/ui/``, both with the page's headers."""
    csp = content_security_policy(img_origins)
    index = STATIC_DIR / "index.html"

    async def studio_page(scope: Scope, receive: Receive, send: Send) -> None:
        page = FileResponse(index, media_type="text/html; charset=utf-8")
        await page(scope, receive, send)

    app.router.routes.append(
        Route("/", _PageHeaders(studio_page, csp), methods=["GET"], include_in_schema=False)
    )
    app.mount("/ui", _PageHeaders(StaticFiles(directory=STATIC_DIR), csp), name="ui")
