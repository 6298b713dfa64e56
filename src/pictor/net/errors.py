"""Errors raised while fetching user-supplied URLs.

All of them are ``InvalidInput``: the URL came from the client, so the client can
fix it. Some are also ``transient`` (a retry later may succeed): a timeout, a remote
5xx or 429, a connection that was refused or dropped. A refused address, a 4xx, a
body that is too large or too many redirects will fail the same way again.
"""

from __future__ import annotations

from typing import Any

from pictor.errors import InvalidInput


class UrlNotAllowed(InvalidInput):
    """The URL may not be fetched: bad scheme, credentials in it, or an address the
    network policy refuses (loopback, private, link-local, metadata, ...). Never transient.
    """

    code = "url_not_allowed"


class UrlFetchFailed(InvalidInput):
    """The remote could not be reached or answered with an HTTP error.

    ``transient`` is set per instance: true for connection failures, temporary DNS
    failures, 5xx and 429; false for an unknown host or any other 4xx.
    ``details["status"]`` holds the HTTP status when there was one.
    """

    code = "url_fetch_failed"

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, field=field, details=details)
        self.transient = transient


class UrlTooLarge(InvalidInput):
    """The body (declared or streamed) exceeds the byte limit. Never transient."""

    code = "file_too_large"


class UrlTimeout(InvalidInput):
    """The whole fetch, redirects included, did not finish within the deadline. Transient."""

    code = "url_timeout"
    transient = True


class TooManyRedirects(InvalidInput):
    """The remote redirected more times than allowed. Never transient."""

    code = "too_many_redirects"
