"""Which network addresses a user-supplied URL may reach (SSRF guard).

A URL is allowed only if EVERY address its host resolves to is public, or is let
through by the operator's ``NetworkPolicy``. The fetcher then connects to one of
exactly these checked addresses, so a second DNS answer cannot rebind the host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from pictor.net.errors import UrlFetchFailed, UrlNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_HOSTNAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")


def _nets(*cidrs: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# IANA IPv4 special-purpose registry, plus multicast and the old class E. Listed here
# rather than trusting ``ip.is_global`` alone because its tables differ between
# Python versions; ``is_global`` is still consulted as a second opinion.
_BLOCKED_V4 = _nets(
    "0.0.0.0/8",  # "this network", unspecified
    "10.0.0.0/8",
    "100.64.0.0/10",  # carrier-grade NAT (shared address space)
    "127.0.0.0/8",
    "169.254.0.0/16",  # link-local, incl. 169.254.169.254 cloud metadata
    "172.16.0.0/12",
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # TEST-NET-1
    "192.31.196.0/24",  # AS112
    "192.52.193.0/24",  # AMT
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    "192.168.0.0/16",
    "192.175.48.0/24",  # AS112 direct delegation
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # TEST-NET-2
    "203.0.113.0/24",  # TEST-NET-3
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, incl. 255.255.255.255 broadcast
)

# Real public IPv6 unicast lives in 2000::/3; anything outside it is refused unless it
# embeds an IPv4 address (handled first). These are the special ranges inside 2000::/3.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_BLOCKED_V6 = _nets(
    "2001::/23",  # IETF protocol assignments (Teredo 2001::/32 is checked before this)
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation (RFC 9637)
)
_NAT64_V6 = _nets("64:ff9b::/96")  # well-known NAT64 prefix: last 32 bits are IPv4
_IPV4_COMPATIBLE_V6 = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d
_TEREDO_V6 = ipaddress.IPv6Network("2001::/32")
_SIXTOFOUR_V6 = ipaddress.IPv6Network("2002::/16")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """IPv4 addresses a packet to ``ip`` would really reach, or None if it embeds none."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in _TEREDO_V6 and ip.teredo is not None:
        return list(ip.teredo)  # (server, client)
    if ip in _SIXTOFOUR_V6 and ip.sixtofour is not None:
        return [ip.sixtofour]
    if any(ip in net for net in _NAT64_V6) or (
        ip in _IPV4_COMPATIBLE_V6 and int(ip) > 1  # :: and ::1 are not IPv4-compatible
    ):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def _is_public_v4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not any(ip in net for net in _BLOCKED_V4)


def _is_public_v6(ip: ipaddress.IPv6Address) -> bool:
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return all(_is_public_v4(v4) for v4 in embedded)
    if ip not in _GLOBAL_UNICAST_V6 or any(ip in net for net in _BLOCKED_V6):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_site_local or ip.is_link_local)


def is_public_address(ip: IPAddress | str) -> bool:
    """True if ``ip`` is a public unicast address a user-supplied URL may reach.

    Refuses loopback, private, link-local (cloud metadata), multicast, reserved,
    unspecified, shared (100.64/10), benchmarking, documentation, IPv6 ULA and
    site-local, and IPv6 forms that embed a non-public IPv4 address (IPv4-mapped,
    IPv4-compatible, 6to4, Teredo, NAT64).
    """
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip)
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is not None:
        ip = ipaddress.IPv6Address(ip.compressed.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_public_v4(ip)
    return _is_public_v6(ip)


def normalize_host(host: str) -> str:
    """Lower-case ``host`` and drop a trailing dot, so policy names match one way."""
    return host.strip().lower().rstrip(".")


@dataclass(frozen=True)
class NetworkPolicy:
    """Operator setting: hosts and address ranges let through despite not being public.

    A name in ``allowed_hosts`` may resolve to any address (e.g. an internal service);
    an address in ``allowed_networks`` is allowed whatever name led to it. The default
    (empty) policy allows public addresses only.
    """

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_strings(cls, hosts_and_ranges: Iterable[str]) -> NetworkPolicy:
        """Parse entries like ``"localhost"``, ``"127.0.0.0/8"`` or ``"::1"``."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in hosts_and_ranges:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = normalize_host(entry)
            if not _HOSTNAME.match(name):
                raise ValueError(f"not a host name, address or CIDR range: {raw!r}")
            hosts.add(name)
        return cls(allowed_hosts=frozenset(hosts), allowed_networks=tuple(networks))

    def allows(self, host: str, ip: IPAddress) -> bool:
        """True if ``ip`` (reached through ``host``) may be connected to."""
        if normalize_host(host) in self.allowed_hosts:
            return True
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        for net in self.allowed_networks:
            if any(c.version == net.version and c in net for c in candidates):
                return True
        return is_public_address(ip)


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except socket.gaierror as exc:
        # EAI_AGAIN is a resolver hiccup; anything else (unknown name) will not heal.
        raise UrlFetchFailed(
            f"could not resolve host {host!r}", transient=exc.errno == socket.EAI_AGAIN
        ) from exc
    except UnicodeError as exc:
        raise UrlNotAllowed(f"invalid host name {host!r}") from exc
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


async def resolve_and_check(host: str, port: int, policy: NetworkPolicy) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses, all checked against ``policy``.

    Raises ``UrlNotAllowed`` if ANY address is refused (a name that resolves to one
    public and one private address is refused: the attacker picks which one we get),
    ``UrlFetchFailed`` if the name does not resolve.
    """
    addresses = await _resolve(host, port)
    if not addresses:
        raise UrlFetchFailed(f"host {host!r} has no IPv4 or IPv6 address")
    for ip in addresses:
        if not policy.allows(host, ip):
            # The resolved address is not echoed back: it would leak internal DNS.
            raise UrlNotAllowed(f"host {host!r} resolves to an address that may not be fetched")
    return addresses
