"""HMAC-signed, expiring download URLs for blobs the API serves itself (local storage).

A signed URL is ``{path}?expires=<unix seconds>&sub=<owner id>&sig=<mac>`` where the MAC is
HMAC-SHA256 over a canonical JSON array of (version, path, subject, expires), encoded as
url-safe base64 without padding. The path is signed as the server will see it (decoded),
so sign the exact route path, e.g. ``/v1/files/usr_x/art_y.png``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from pictor.errors import Forbidden, InvalidInput

#: Longest life a signed URL may have; a leaked link stops working within a week.
DEFAULT_MAX_LIFETIME_S = 7 * 24 * 3600
MIN_SECRET_BYTES = 16

_VERSION = "v1"
_EXPIRES = re.compile(r"[0-9]{1,12}")


class SignatureInvalid(Forbidden):
    """A signed URL was tampered with, incomplete, or signed with another secret."""

    code = "invalid_signature"


class SignatureExpired(SignatureInvalid):
    """A correctly signed URL whose time is up."""

    code = "signature_expired"


class SignedUrlLifetimeTooLong(InvalidInput):
    code = "signed_url_lifetime_too_long"


class UrlSigner:
    """Signs and verifies download URLs with one server secret."""

    def __init__(
        self, secret: bytes | str, *, max_lifetime_s: int = DEFAULT_MAX_LIFETIME_S
    ) -> None:
        key = secret.encode() if isinstance(secret, str) else bytes(secret)
        if len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"URL signing secret must be at least {MIN_SECRET_BYTES} bytes")
        if max_lifetime_s <= 0:
            raise ValueError("max_lifetime_s must be positive")
        self._key = key
        self.max_lifetime_s = max_lifetime_s

    def sign(self, path: str, *, subject: str, expires_at: int, now: int | None = None) -> str:
        """Return the query string ``expires=…&sub=…&sig=…`` granting ``subject`` ``path``.

        Raises ``SignedUrlLifetimeTooLong`` if ``expires_at`` is further than the max
        lifetime from ``now`` (default: the current time).
        """
        _check_path(path)
        if not subject:
            raise ValueError("subject must not be empty")
        current = int(time.time()) if now is None else now
        if expires_at - current > self.max_lifetime_s:
            raise SignedUrlLifetimeTooLong(
                f"signed URLs live at most {self.max_lifetime_s} seconds",
                details={"max_lifetime_s": self.max_lifetime_s},
            )
        signature = self._mac(path, subject, str(expires_at))
        return urlencode({"expires": str(expires_at), "sub": subject, "sig": signature})

    def verify(self, path: str, query: Mapping[str, str], *, now: int | None = None) -> str:
        """Return the subject a valid, unexpired signature grants ``path`` to.

        Raises ``SignatureInvalid`` for anything missing, malformed or not matching, and
        ``SignatureExpired`` for a genuine signature whose expiry has passed.
        """
        expires = query.get("expires", "")
        subject = query.get("sub", "")
        given = query.get("sig", "")
        if not (_EXPIRES.fullmatch(expires) and subject and given):
            raise SignatureInvalid("the download link is incomplete or malformed")
        expected = self._mac(path, subject, expires)
        # Bytes, not str: compare_digest refuses non-ASCII strings, which a client may send.
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise SignatureInvalid("the download link's signature does not match")
        current = int(time.time()) if now is None else now
        if int(expires) <= current:
            raise SignatureExpired("the download link has expired", details={"expires": expires})
        return subject

    def signed_url(self, base_path: str, subject: str, ttl_s: int, now: int | None = None) -> str:
        """``base_path`` with a query granting ``subject`` access for ``ttl_s`` seconds."""
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        current = int(time.time()) if now is None else now
        query = self.sign(base_path, subject=subject, expires_at=current + ttl_s, now=current)
        return f"{base_path}?{query}"

    def _mac(self, path: str, subject: str, expires: str) -> str:
        # A JSON array is unambiguous: no choice of path and subject can shift a boundary.
        message = json.dumps([_VERSION, path, subject, expires], separators=(",", ":"))
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _check_path(path: str) -> None:
    if not path.startswith("/") or "?" in path or "#" in path:
        raise ValueError(f"sign a URL path starting with '/' and without query: {path!r}")
