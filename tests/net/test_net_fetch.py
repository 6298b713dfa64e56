"""fetch_url / post_json against real HTTP(S) servers on loopback addresses."""

from __future__ import annotations

import asyncio
import io
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from PIL import Image

from pictor.net import (
    FetchLimits,
    NetworkPolicy,
    TooManyRedirects,
    UrlFetchFailed,
    UrlNotAllowed,
    UrlTimeout,
    UrlTooLarge,
    fetch_url,
    post_json,
)

LOOPBACK_1 = NetworkPolicy.from_strings(["127.0.0.1/32"])
LOOPBACK_ALL = NetworkPolicy.from_strings(["127.0.0.0/8"])
LIMITS = FetchLimits(max_bytes=100_000, timeout_s=5.0, max_redirects=3)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = png_bytes()


@dataclass
class Seen:
    """One request as the server received it."""

    local_ip: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[["LoopbackServer", asyncio.StreamWriter], Awaitable[None]]


@dataclass
class LoopbackServer:
    """A tiny HTTP/1.1 server on one loopback address, with routes as raw writers."""

    host: str
    ssl_context: ssl.SSLContext | None = None
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.release.set()  # lets handlers that wait forever finish
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def url(self, path: str, host: str | None = None) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in lines:
                if line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            local_ip = writer.get_extra_info("sockname")[0]
            self.seen.append(Seen(local_ip, method, path, headers, body))
            handler = self.routes.get(path, not_found)
            await handler(self, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client went away, which several tests make it do on purpose
        finally:
            writer.close()


def respond(status: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Handler:
    async def handler(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
        all_headers = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in all_headers.items())
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()

    return handler


not_found = respond("404 Not Found", b"no such thing")


def redirect(location: str) -> Handler:
    return respond("302 Found", headers={"Location": location})


async def hang(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
    await server.release.wait()


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    srv = LoopbackServer("127.0.0.1")
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def other_server() -> AsyncIterator[LoopbackServer]:
    # Linux routes all of 127.0.0.0/8 to loopback: a second "host" for redirect tests.
    srv = LoopbackServer("127.0.0.2")
    await srv.start()
    yield srv
    await srv.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com/",
        "http://user:secret@example.com/a.png",
        "http://:secret@example.com/a.png",
        "not a url",
    ],
)
async def test_default_policy_refuses_internal_targets_and_other_schemes(url: str) -> None:
    with pytest.raises(UrlNotAllowed) as info:
        await fetch_url(url, NetworkPolicy(), LIMITS)
    assert info.value.code == "url_not_allowed"
    assert info.value.transient is False


async def test_default_policy_refuses_a_live_loopback_server(server: LoopbackServer) -> None:
    server.routes["/a.png"] = respond("200 OK", PNG, {"Content-Type": "image/png"})
    with pytest.raises(UrlNotAllowed):
        await fetch_url(server.url("/a.png"), NetworkPolicy(), LIMITS)
    assert server.seen == []


async def test_allowed_range_fetches_png_with_content_type(server: LoopbackServer) -> None:
    server.routes["/a.png"] = respond("200 OK", PNG, {"Content-Type": "image/png"})
    fetched = await fetch_url(server.url("/a.png"), LOOPBACK_1, LIMITS)
    assert fetched.data == PNG
    assert fetched.content_type == "image/png"
    assert fetched.final_url == server.url("/a.png")
    (request,) = server.seen
    assert request.headers["user-agent"] == "pictor/0.1"
    assert "cookie" not in request.headers and "authorization" not in request.headers


class RecordingTransport(httpx.AsyncBaseTransport):
    """The real network transport, noting which URL and Host each request carried."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.url.host, request.headers["host"]))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_request_goes_to_the_checked_ip_with_the_original_host_header(
    server: LoopbackServer,
) -> None:
    server.routes["/a.png"] = respond("200 OK", PNG, {"Content-Type": "image/png"})
    policy = NetworkPolicy.from_strings(["localhost"])
    async with RecordingTransport(httpx.AsyncHTTPTransport()) as transport:
        fetched = await fetch_url(
            server.url("/a.png", host="localhost"), policy, LIMITS, transport=transport
        )
    assert fetched.data == PNG
    # The transport got a literal IP, so nothing below us resolved the name again.
    assert transport.requests[-1] == ("127.0.0.1", f"localhost:{server.port}")
    assert server.seen[-1].local_ip == "127.0.0.1"
    assert server.seen[-1].headers["host"] == f"localhost:{server.port}"


async def test_redirect_to_an_address_outside_the_policy_is_refused(
    server: LoopbackServer, other_server: LoopbackServer
) -> None:
    other_server.routes["/a.png"] = respond("200 OK", PNG, {"Content-Type": "image/png"})
    server.routes["/go"] = redirect(other_server.url("/a.png"))
    with pytest.raises(UrlNotAllowed):
        await fetch_url(server.url("/go"), LOOPBACK_1, LIMITS)
    assert other_server.seen == []
    # The same redirect is followed when the policy covers the target.
    fetched = await fetch_url(server.url("/go"), LOOPBACK_ALL, LIMITS)
    assert fetched.data == PNG
    assert fetched.final_url == other_server.url("/a.png")


async def test_redirect_to_another_scheme_is_refused(server: LoopbackServer) -> None:
    server.routes["/go"] = redirect("file:///etc/passwd")
    with pytest.raises(UrlNotAllowed):
        await fetch_url(server.url("/go"), LOOPBACK_1, LIMITS)


def add_redirect_chain(server: LoopbackServer, length: int) -> None:
    for n in range(length, 0, -1):
        server.routes[f"/hop/{n}"] = redirect(f"/hop/{n - 1}")  # relative Location
    server.routes["/hop/0"] = respond("200 OK", PNG, {"Content-Type": "image/png"})


async def test_three_redirects_are_followed(server: LoopbackServer) -> None:
    add_redirect_chain(server, 3)
    fetched = await fetch_url(server.url("/hop/3"), LOOPBACK_1, LIMITS)
    assert fetched.data == PNG
    assert [r.path for r in server.seen] == ["/hop/3", "/hop/2", "/hop/1", "/hop/0"]


async def test_four_redirects_are_refused(server: LoopbackServer) -> None:
    add_redirect_chain(server, 4)
    with pytest.raises(TooManyRedirects) as info:
        await fetch_url(server.url("/hop/4"), LOOPBACK_1, LIMITS)
    assert info.value.code == "too_many_redirects"
    assert "/hop/0" not in [r.path for r in server.seen]


async def test_declared_oversized_body_is_refused_before_reading(server: LoopbackServer) -> None:
    async def huge_declared(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n" + b"x" * 1000)
        await writer.drain()
        await server.release.wait()  # the rest never comes: reading it would time out

    server.routes["/big"] = huge_declared
    with pytest.raises(UrlTooLarge) as info:
        await fetch_url(server.url("/big"), LOOPBACK_1, LIMITS)
    assert info.value.code == "file_too_large"


async def test_endless_chunked_body_is_cut_at_the_limit(server: LoopbackServer) -> None:
    sent = [0]

    async def endless(server: LoopbackServer, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"y" * 16_384
        while not server.release.is_set():
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()  # raises once the client hangs up
            sent[0] += len(chunk)

    server.routes["/stream"] = endless
    with pytest.raises(UrlTooLarge):
        await fetch_url(server.url("/stream"), LOOPBACK_1, LIMITS)
    assert sent[0] > LIMITS.max_bytes


async def test_server_that_never_answers_hits_the_deadline(server: LoopbackServer) -> None:
    server.routes["/slow"] = hang
    with pytest.raises(UrlTimeout) as info:
        await fetch_url(server.url("/slow"), LOOPBACK_1, FetchLimits(timeout_s=0.5))
    assert info.value.code == "url_timeout"
    assert info.value.transient is True


async def test_deadline_covers_the_whole_redirect_chain(server: LoopbackServer) -> None:
    server.routes["/go"] = redirect("/slow")
    server.routes["/slow"] = hang
    with pytest.raises(UrlTimeout):
        await fetch_url(server.url("/go"), LOOPBACK_1, FetchLimits(timeout_s=0.5))
    assert [r.path for r in server.seen] == ["/go", "/slow"]


async def test_not_found_is_a_permanent_fetch_failure(server: LoopbackServer) -> None:
    with pytest.raises(UrlFetchFailed) as info:
        await fetch_url(server.url("/missing.png"), LOOPBACK_1, LIMITS)
    assert info.value.code == "url_fetch_failed"
    assert info.value.details == {"status": 404}
    assert info.value.transient is False


async def test_server_error_is_a_transient_fetch_failure(server: LoopbackServer) -> None:
    server.routes["/busy"] = respond("503 Service Unavailable")
    with pytest.raises(UrlFetchFailed) as info:
        await fetch_url(server.url("/busy"), LOOPBACK_1, LIMITS)
    assert info.value.transient is True


async def test_connection_refused_is_a_transient_fetch_failure(server: LoopbackServer) -> None:
    closed_port = server.port
    await server.stop()
    with pytest.raises(UrlFetchFailed) as info:
        await fetch_url(f"http://127.0.0.1:{closed_port}/", LOOPBACK_1, LIMITS)
    assert info.value.transient is True


async def test_post_json_delivers_body_and_returns_status(server: LoopbackServer) -> None:
    server.routes["/hook"] = respond("204 No Content")
    status = await post_json(
        server.url("/hook"), b'{"ok": true}', {"Webhook-Id": "msg_1"}, LOOPBACK_1, LIMITS
    )
    assert status == 204
    (request,) = server.seen
    assert (request.method, request.body) == ("POST", b'{"ok": true}')
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "msg_1"


async def test_post_json_does_not_follow_redirects(server: LoopbackServer) -> None:
    server.routes["/hook"] = redirect("/elsewhere")
    assert await post_json(server.url("/hook"), b"{}", {}, LOOPBACK_1, LIMITS) == 302
    assert [r.path for r in server.seen] == ["/hook"]


async def test_post_json_is_guarded_like_fetch(server: LoopbackServer) -> None:
    with pytest.raises(UrlNotAllowed):
        await post_json(server.url("/hook"), b"{}", {}, NetworkPolicy(), LIMITS)
    assert server.seen == []


def make_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate valid for DNS name ``name`` only (no IP SAN)."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    command = (
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
        f" -keyout {key} -out {cert} -subj /CN={name} -addext subjectAltName=DNS:{name}"
    )
    subprocess.run(
        command.split(),
        check=True,
        capture_output=True,
    )
    return cert, key


needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl CLI makes the test certificates"
)


async def start_tls_server(
    tmp_path: Path, cert_name: str
) -> tuple[LoopbackServer, list[str], Path]:
    cert, key = make_certificate(tmp_path, cert_name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sni_names: list[str] = []
    context.sni_callback = lambda _sock, name, _ctx: sni_names.append(name) or None
    srv = LoopbackServer("127.0.0.1", ssl_context=context)
    srv.routes["/a.png"] = respond("200 OK", PNG, {"Content-Type": "image/png"})
    await srv.start()
    return srv, sni_names, cert


@needs_openssl
async def test_https_to_pinned_ip_uses_host_name_for_sni_and_certificate(tmp_path: Path) -> None:
    srv, sni_names, cert = await start_tls_server(tmp_path, "localhost")
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        async with RecordingTransport(httpx.AsyncHTTPTransport(verify=trust)) as transport:
            fetched = await fetch_url(
                srv.url("/a.png", host="localhost"),
                NetworkPolicy.from_strings(["localhost"]),
                LIMITS,
                transport=transport,
            )
    finally:
        await srv.stop()
    assert fetched.data == PNG
    assert transport.requests[-1][0] == "127.0.0.1"
    # The certificate names only "localhost": verifying it against the IP would fail.
    assert sni_names[-1] == "localhost"


@needs_openssl
async def test_https_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    srv, _, cert = await start_tls_server(tmp_path, "other.test")
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        async with httpx.AsyncHTTPTransport(verify=trust) as transport:
            with pytest.raises(UrlFetchFailed) as info:
                await fetch_url(
                    srv.url("/a.png", host="localhost"),
                    NetworkPolicy.from_strings(["localhost"]),
                    LIMITS,
                    transport=transport,
                )
    finally:
        await srv.stop()
    assert info.value.transient is False
    assert srv.seen == []
