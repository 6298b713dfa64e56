"""Where Stripe sends the buyer back: the configured pages, or a client's own pages on
an allowed origin (never another scheme than http(s), never someone else's site)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pictor.billing.errors import InvalidRedirectUrl
from pictor.billing.settings import BillingSettings

MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Redirects:
    success_url: str
    cancel_url: str


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` in lower case (default port dropped), or None if ``url``
    is not an absolute http(s) URL without credentials."""
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origins(
    billing: BillingSettings, public_url: str | None, request_base: str
) -> set[str]:
    """The configured origins; with none configured, the origin the API was reached at."""
    configured = [public_url, billing.success_url, billing.cancel_url, *billing.redirect_origins]
    origins = {o for o in (origin_of(url) for url in configured if url) if o}
    if not origins:
        own = origin_of(request_base)
        origins = {own} if own else set()
    return origins


def resolve(
    billing: BillingSettings,
    public_url: str | None,
    request_base: str,
    success_url: str | None,
    cancel_url: str | None,
) -> Redirects:
    """The two redirect URLs of a checkout, the client's checked against the allow-list."""
    base = (public_url or request_base).rstrip("/")
    allowed = allowed_origins(billing, public_url, request_base)
    return Redirects(
        success_url=_checked(success_url, "success_url", allowed)
        if success_url
        else billing.success_url or f"{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=_checked(cancel_url, "cancel_url", allowed)
        if cancel_url
        else billing.cancel_url or f"{base}/billing/cancel",
    )


def _checked(url: str, field: str, allowed: set[str]) -> str:
    origin = origin_of(url)
    if origin is None:
        raise InvalidRedirectUrl(
            f"{field} must be an absolute http(s) URL of at most {MAX_URL_LENGTH} characters",
            field=field,
        )
    if origin not in allowed:
        raise InvalidRedirectUrl(
            f"{field} must be on one of this server's origins: {', '.join(sorted(allowed))}",
            field=field,
            details={"allowed_origins": sorted(allowed)},
        )
    return url
