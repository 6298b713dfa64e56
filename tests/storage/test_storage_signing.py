"""Signed download URLs: valid ones verify, everything altered or late is refused."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from pictor.storage import (
    SignatureExpired,
    SignatureInvalid,
    SignedUrlLifetimeTooLong,
    UrlSigner,
)

SECRET = "test-secret-of-sufficient-length"
PATH = "/v1/files/usr_a/art_b.png"
NOW = 1_700_000_000


@pytest.fixture
def signer() -> UrlSigner:
    return UrlSigner(SECRET)


def signed_query(signer: UrlSigner, *, expires_at: int = NOW + 600) -> dict[str, str]:
    return dict(parse_qsl(signer.sign(PATH, subject="usr_a", expires_at=expires_at, now=NOW)))


def test_valid_signature_returns_subject(signer: UrlSigner) -> None:
    query = signed_query(signer)
    assert set(query) == {"expires", "sub", "sig"}
    assert "=" not in query["sig"] and "+" not in query["sig"] and "/" not in query["sig"]
    assert signer.verify(PATH, query, now=NOW + 599) == "usr_a"


def test_signature_from_real_clock_verifies() -> None:
    signer = UrlSigner(SECRET.encode())
    url = signer.signed_url(PATH, "usr_a", ttl_s=60)
    parts = urlsplit(url)
    assert parts.path == PATH
    assert signer.verify(parts.path, dict(parse_qsl(parts.query))) == "usr_a"


def test_expired_signed_url_is_refused(signer: UrlSigner) -> None:
    query = signed_query(signer)
    with pytest.raises(SignatureExpired) as caught:
        signer.verify(PATH, query, now=NOW + 600)
    assert caught.value.code == "signature_expired"


@pytest.mark.parametrize(
    ("field", "value"),
    [("sub", "usr_b"), ("expires", str(NOW + 6000)), ("sig", "A" * 43), ("sig", "é" * 43)],
)
def test_tampered_query_is_refused(signer: UrlSigner, field: str, value: str) -> None:
    query = signed_query(signer) | {field: value}
    with pytest.raises(SignatureInvalid) as caught:
        signer.verify(PATH, query, now=NOW)
    assert caught.value.code == "invalid_signature"


def test_tampered_signature_by_one_character_is_refused(signer: UrlSigner) -> None:
    query = signed_query(signer)
    sig = query["sig"]
    query["sig"] = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    with pytest.raises(SignatureInvalid):
        signer.verify(PATH, query, now=NOW)


def test_signature_for_another_path_is_refused(signer: UrlSigner) -> None:
    query = signed_query(signer)
    with pytest.raises(SignatureInvalid):
        signer.verify("/v1/files/usr_a/art_c.png", query, now=NOW)


def test_expired_and_tampered_is_reported_as_invalid(signer: UrlSigner) -> None:
    query = signed_query(signer) | {"sub": "usr_b"}
    with pytest.raises(SignatureInvalid) as caught:
        signer.verify(PATH, query, now=NOW + 10_000)
    assert caught.value.code == "invalid_signature"


def test_url_signed_with_another_secret_is_refused(signer: UrlSigner) -> None:
    other = UrlSigner("another-secret-of-enough-length")
    query = dict(parse_qsl(other.sign(PATH, subject="usr_a", expires_at=NOW + 60, now=NOW)))
    with pytest.raises(SignatureInvalid):
        signer.verify(PATH, query, now=NOW)


@pytest.mark.parametrize(
    "query",
    [{}, {"expires": str(NOW + 60), "sub": "usr_a"}, {"expires": "soon", "sub": "u", "sig": "x"}],
)
def test_incomplete_or_malformed_query_is_refused(signer: UrlSigner, query: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        signer.verify(PATH, query, now=NOW)


def test_lifetime_beyond_maximum_is_refused_at_sign_time() -> None:
    signer = UrlSigner(SECRET, max_lifetime_s=3600)
    signer.sign(PATH, subject="usr_a", expires_at=NOW + 3600, now=NOW)
    with pytest.raises(SignedUrlLifetimeTooLong):
        signer.sign(PATH, subject="usr_a", expires_at=NOW + 3601, now=NOW)
    with pytest.raises(SignedUrlLifetimeTooLong):
        UrlSigner(SECRET).signed_url(PATH, "usr_a", ttl_s=8 * 24 * 3600)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        UrlSigner("short")


@pytest.mark.parametrize("path", ["v1/files/x", "/v1/files/x?y=1", "/v1/files/x#frag"])
def test_only_plain_absolute_paths_can_be_signed(signer: UrlSigner, path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        signer.sign(path, subject="usr_a", expires_at=NOW + 60, now=NOW)
