"""Fetching user-supplied URLs (job inputs, webhooks) guarded against SSRF."""

from pictor.net.errors import (
    TooManyRedirects,
    UrlFetchFailed,
    UrlNotAllowed,
    UrlTimeout,
    UrlTooLarge,
)
from pictor.net.fetch import FetchedBody, FetchLimits, fetch_url, post_json
from pictor.net.guard import NetworkPolicy, is_public_address, resolve_and_check

__all__ = [
    "FetchLimits",
    "FetchedBody",
    "NetworkPolicy",
    "TooManyRedirects",
    "UrlFetchFailed",
    "UrlNotAllowed",
    "UrlTimeout",
    "UrlTooLarge",
    "fetch_url",
    "is_public_address",
    "post_json",
    "resolve_and_check",
]
