"""The address rules of the SSRF guard, with the system's real resolver."""

from __future__ import annotations

import ipaddress

import pytest

from pictor.net import (
    NetworkPolicy,
    UrlFetchFailed,
    UrlNotAllowed,
    is_public_address,
    resolve_and_check,
)

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "0.1.2.3",
    "192.0.0.8",
    "192.0.2.1",  # documentation
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",  # benchmarking
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fc00::1",
    "fd12:3456::1",  # unique local
    "fe80::1",
    "fe80::1%1",
    "fec0::1",  # site-local
    "ff02::1",
    "2001:db8::1",  # documentation
    "3fff::1",
    "100::1",  # discard-only
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "::10.0.0.1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, client 192.0.2.45
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2a00:1450:4007:80e::200e",
    "::ffff:8.8.8.8",  # mapped, but really 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_address_is_refused(address: str) -> None:
    assert is_public_address(address) is False
    if "%" not in address:
        assert is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", PUBLIC)
def test_public_address_is_accepted(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is True


def test_policy_parses_hosts_and_ranges() -> None:
    policy = NetworkPolicy.from_strings(["LocalHost.", "127.0.0.0/8", "::1", " ", "10.1.2.3/8"])
    assert policy.allowed_hosts == frozenset({"localhost"})
    assert policy.allowed_networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.0.0.0/8"),
    )


@pytest.mark.parametrize("entry", ["http://localhost", "local host", "a/b/c", "-bad-.example"])
def test_policy_refuses_entries_that_are_neither_host_nor_range(entry: str) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        NetworkPolicy.from_strings([entry])


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "0x7f.1", "127.1", "017700000001", "localhost"]
)
async def test_names_and_numeric_forms_resolving_to_loopback_are_refused(host: str) -> None:
    with pytest.raises(UrlNotAllowed) as info:
        await resolve_and_check(host, 80, NetworkPolicy())
    assert info.value.code == "url_not_allowed"


@pytest.mark.parametrize("host", ["::1", "[::1]", "::ffff:127.0.0.1", "169.254.169.254"])
async def test_literal_addresses_are_checked_without_resolving(host: str) -> None:
    with pytest.raises(UrlNotAllowed):
        await resolve_and_check(host, 80, NetworkPolicy())


async def test_policy_range_lets_numeric_loopback_through() -> None:
    policy = NetworkPolicy.from_strings(["127.0.0.0/8"])
    assert await resolve_and_check("0x7f.1", 80, policy) == [ipaddress.ip_address("127.0.0.1")]
    # The range covers addresses, not the names that lead to them.
    with pytest.raises(UrlNotAllowed):
        await resolve_and_check("::1", 80, policy)


async def test_policy_host_name_lets_that_name_through_only() -> None:
    policy = NetworkPolicy.from_strings(["localhost"])
    addresses = await resolve_and_check("LocalHost", 80, policy)
    assert addresses and all(ip.is_loopback for ip in addresses)
    with pytest.raises(UrlNotAllowed):
        await resolve_and_check("127.0.0.1", 80, policy)


async def test_unknown_host_is_a_permanent_fetch_failure() -> None:
    with pytest.raises(UrlFetchFailed) as info:
        await resolve_and_check("nonexistent.invalid", 80, NetworkPolicy())
    assert info.value.code == "url_fetch_failed"
    assert info.value.transient is False
