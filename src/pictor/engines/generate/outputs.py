"""Copying provider outputs into our hands: data URIs decoded, URLs fetched SSRF-guarded.

Provider URLs expire and point anywhere the provider (or whoever answers in its name)
likes, so they are fetched through the same guard as user-supplied URLs.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pictor.engines.generate.errors import ProviderError
from pictor.errors import PictorError
from pictor.net.fetch import FetchLimits, fetch_url
from pictor.net.guard import NetworkPolicy


@dataclass(frozen=True)
class OutputFetcher:
    policy: NetworkPolicy
    limits: FetchLimits

    async def fetch(self, provider: str, url: str) -> tuple[bytes, str | None]:
        """The bytes behind an output ``url`` (``data:`` or http(s)) and its content type."""
        if url.startswith("data:"):
            return decode_data_uri(provider, url)
        try:
            body = await fetch_url(url, self.policy, self.limits)
        except PictorError as exc:
            # The URL came from the provider, not from the user: a provider failure.
            raise ProviderError(
                f"{provider}: could not fetch an output file: {exc.message}",
                details={"provider": provider, "cause": exc.code},
            ) from exc
        return body.data, body.content_type


def decode_data_uri(provider: str, uri: str) -> tuple[bytes, str | None]:
    header, sep, payload = uri.partition(",")
    if not sep or ";base64" not in header:
        raise ProviderError(f"{provider}: an output data URI is not base64")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError(f"{provider}: an output data URI is not valid base64") from exc
    content_type = header.removeprefix("data:").split(";", 1)[0] or None
    return data, content_type


def decode_b64(provider: str, payload: str) -> bytes:
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError(f"{provider}: the response holds invalid base64 image data") from exc
