"""Which redirect URLs a checkout accepts (pure functions, no server)."""

from __future__ import annotations

import pytest

from pictor.billing.errors import InvalidRedirectUrl
from pictor.billing.redirects import allowed_origins, origin_of, resolve
from pictor.billing.settings import BillingSettings


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://App.Example.com/x?y=1", "https://app.example.com"),
        ("https://app.example.com:443/", "https://app.example.com"),
        ("http://localhost:8000/done", "http://localhost:8000"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("javascript:alert(1)", None),
        ("https://u:p@app.example.com/", None),
        ("ftp://app.example.com/", None),
        ("https:///nohost", None),
        ("https://app.example.com:99999/", None),
        ("https://app.example.com/\nx", None),
        ("https://app.example.com/" + "a" * 2100, None),
    ],
)
def test_origin_of(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_public_url_and_settings_name_the_allowed_origins() -> None:
    billing = BillingSettings(
        success_url="https://shop.example/ok", redirect_origins=["https://app.example.com"]
    )
    allowed = allowed_origins(billing, "https://api.example.com/", "http://spoofed.example/")
    assert allowed == {
        "https://api.example.com",
        "https://shop.example",
        "https://app.example.com",
    }
    # With nothing configured, only the origin the API was reached at.
    assert allowed_origins(BillingSettings(), None, "http://pictor.test/") == {"http://pictor.test"}


def test_defaults_come_from_settings_then_public_url() -> None:
    plain = resolve(BillingSettings(), "https://api.example.com/", "http://x/", None, None)
    assert plain.success_url == (
        "https://api.example.com/billing/success?session_id={CHECKOUT_SESSION_ID}"
    )
    assert plain.cancel_url == "https://api.example.com/billing/cancel"
    custom = BillingSettings(
        success_url="https://shop.example/ok", cancel_url="https://shop.example/no"
    )
    chosen = resolve(custom, None, "http://x/", None, None)
    assert (chosen.success_url, chosen.cancel_url) == (custom.success_url, custom.cancel_url)
    with pytest.raises(InvalidRedirectUrl):
        resolve(custom, None, "http://x/", "http://x/ok", None)  # the request's own: not allowed
