"""Fetching user-supplied URLs without letting them reach our own network.

Every hop is resolved once and checked (``guard.resolve_and_check``); the request is
then sent to the checked IP itself, with the original ``Host`` header and, for https,
the original name as TLS SNI and certificate hostname (httpcore's ``sni_hostname``
request extension feeds ``server_hostname`` of the TLS wrap). No second DNS lookup
happens, so a name cannot resolve to a public address for the check and to a private
one for the connection (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import httpx

from pictor.net.errors import (
    TooManyRedirects,
    UrlFetchFailed,
    UrlNotAllowed,
    UrlTimeout,
    UrlTooLarge,
)
from pictor.net.guard import IPAddress, NetworkPolicy, resolve_and_check

USER_AGENT = "pictor/0.1"
MAX_URL_LENGTH = 8192
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on one fetch: body size, total wall time (redirects included), hops."""

    max_bytes: int = 10_000_000
    timeout_s: float = 15.0
    max_redirects: int = 3


@dataclass(frozen=True)
class FetchedBody:
    data: bytes
    content_type: str | None
    final_url: str


def parse_url(url: str) -> httpx.URL:
    """Parse ``url`` and refuse what we never fetch: other schemes, credentials, no host."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlNotAllowed(f"URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UrlNotAllowed(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in _DEFAULT_PORTS:
        raise UrlNotAllowed(f"only http and https URLs may be fetched, not {parsed.scheme!r}")
    if parsed.userinfo:
        raise UrlNotAllowed("URLs with credentials (user:password@) may not be fetched")
    if not parsed.raw_host:
        raise UrlNotAllowed("URL has no host")
    return parsed


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # One context for all fetches: loading the CA bundle costs milliseconds each time.
    return httpx.create_ssl_context()


def _is_literal_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _pinned_request(
    method: str,
    url: httpx.URL,
    ip: IPAddress,
    headers: Mapping[str, str],
    content: bytes,
    timeout_s: float,
) -> httpx.Request:
    host = url.raw_host.decode("ascii")
    request = httpx.Request(
        method,
        url.copy_with(host=str(ip)),
        headers={
            **headers,
            "Host": url.netloc.decode("ascii"),
            "User-Agent": USER_AGENT,
            # Our connections are never reused across hops; say so to the server.
            "Connection": "close",
        },
        content=content or None,
    )
    extensions: dict[str, object] = {"timeout": httpx.Timeout(timeout_s).as_dict()}
    if url.scheme == "https" and not _is_literal_ip(host):
        extensions["sni_hostname"] = host
    request.extensions = extensions
    return request


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _open(
    stack: contextlib.AsyncExitStack,
    method: str,
    url: httpx.URL,
    policy: NetworkPolicy,
    timeout_s: float,
    transport: httpx.AsyncBaseTransport | None,
    headers: Mapping[str, str],
    content: bytes = b"",
) -> httpx.Response:
    """Check ``url``'s addresses and send one request to the first that accepts."""
    port = url.port or _DEFAULT_PORTS[url.scheme]
    addresses = await resolve_and_check(url.raw_host.decode("ascii"), port, policy)
    if transport is None:
        # A fresh pool per hop: a pooled connection to the same IP but verified for
        # another host name must never carry this request.
        transport = await stack.enter_async_context(
            httpx.AsyncHTTPTransport(verify=_ssl_context(), retries=0)
        )
    last_error: httpx.ConnectError | None = None
    for ip in addresses:
        request = _pinned_request(method, url, ip, headers, content, timeout_s)
        try:
            response = await transport.handle_async_request(request)
        except httpx.ConnectError as exc:
            if _is_certificate_error(exc):
                raise UrlFetchFailed(f"TLS certificate of {url.host!r} is not valid") from exc
            last_error = exc
            continue
        response.request = request
        stack.push_async_callback(response.aclose)
        return response
    raise UrlFetchFailed(f"could not connect to {url.host!r}", transient=True) from last_error


def _check_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    raise UrlFetchFailed(
        f"the remote server answered HTTP {status}",
        transient=status >= 500 or status == 429,
        details={"status": status},
    )


async def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise UrlTooLarge(f"the remote file is larger than {max_bytes} bytes")
    body = bytearray()
    # aiter_bytes undoes any Content-Encoding, so the limit bounds decoded bytes too.
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise UrlTooLarge(f"the remote file is larger than {max_bytes} bytes")
    return bytes(body)


async def _follow(
    url: httpx.URL,
    policy: NetworkPolicy,
    limits: FetchLimits,
    transport: httpx.AsyncBaseTransport | None,
) -> FetchedBody:
    headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
    redirects = 0
    while True:
        async with contextlib.AsyncExitStack() as stack:
            response = await _open(stack, "GET", url, policy, limits.timeout_s, transport, headers)
            location = response.headers.get("location")
            if response.status_code in _REDIRECT_STATUSES and location:
                redirects += 1
                if redirects > limits.max_redirects:
                    raise TooManyRedirects(
                        f"more than {limits.max_redirects} redirects",
                        details={"max_redirects": limits.max_redirects},
                    )
                try:
                    url = parse_url(str(url.join(location)))
                except httpx.InvalidURL as exc:
                    raise UrlNotAllowed(f"invalid redirect target: {exc}") from exc
                continue
            _check_status(response)
            data = await _read_limited(response, limits.max_bytes)
            return FetchedBody(
                data=data,
                content_type=response.headers.get("content-type"),
                final_url=str(url),
            )


@contextlib.contextmanager
def _transport_errors_as_pictor_errors(timeout_s: float) -> Iterator[None]:
    try:
        yield
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise UrlTimeout(f"the URL did not answer within {timeout_s:g} s") from exc
    except httpx.TransportError as exc:
        # Dropped connections, protocol errors from the remote: may heal on retry.
        raise UrlFetchFailed(f"fetching the URL failed: {exc}", transient=True) from exc


async def fetch_url(
    url: str,
    policy: NetworkPolicy,
    limits: FetchLimits,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchedBody:
    """GET ``url`` (user-supplied) within ``limits``, refusing addresses ``policy`` refuses.

    Redirects are followed by hand, each hop re-checked. ``transport`` replaces the
    network transport (tests, custom TLS trust); requests it receives already target
    the checked IP, so it must not resolve names itself.
    """
    parsed = parse_url(url)
    with _transport_errors_as_pictor_errors(limits.timeout_s):
        async with asyncio.timeout(limits.timeout_s):
            return await _follow(parsed, policy, limits, transport)


async def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    policy: NetworkPolicy,
    limits: FetchLimits,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """POST ``body`` as JSON to ``url`` under the same guard; returns the HTTP status.

    Redirects are not followed (a 3xx is returned as is) and the response body is not
    read. For webhooks: the caller decides what a status means.
    """
    parsed = parse_url(url)
    sent = {"Content-Type": "application/json", **headers}
    with _transport_errors_as_pictor_errors(limits.timeout_s):
        async with asyncio.timeout(limits.timeout_s), contextlib.AsyncExitStack() as stack:
            response = await _open(
                stack, "POST", parsed, policy, limits.timeout_s, transport, sent, body
            )
            return response.status_code
