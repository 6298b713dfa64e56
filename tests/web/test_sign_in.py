"""Sign in, register, sign out, API keys, a reload, and an access token that expired."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from tests.web.conftest import PASSWORD, sign_in_through_page
from tests.web.server import PictorServer

from pictor.accounts.tokens import AccessTokens

BALANCE = re.compile(r"^\d+$")


def stored_credentials(page: Page) -> dict[str, str]:
    return dict(json.loads(page.evaluate("() => localStorage.getItem('pictor.auth')")))


def expect_signed_in(page: Page) -> None:
    expect(page.locator("#credits-balance")).to_have_text(BALANCE)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("navigation", name="Tools")).to_be_visible()
    expect(page.get_by_role("form", name="Sign in")).to_have_count(0)


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Tools")).to_be_hidden()


def sign_in_form(page: Page) -> Locator:
    return page.get_by_role("form", name="Sign in")


def test_a_new_account_is_signed_in_at_once(page_at: Page, pictor_server: PictorServer) -> None:
    page = page_at
    page.goto(pictor_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to pictor studio")
    form = page.get_by_role("form", name="Create an account")
    form.get_by_label("Email").fill(f"new-{uuid.uuid4().hex[:10]}@example.com")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    expect_signed_in(page)
    expect(page.locator("#credits-balance")).to_have_text("20")  # the signup grant


def test_an_email_already_taken_shows_the_api_message(
    page_at: Page, pictor_server: PictorServer, new_account: Callable[..., tuple[str, str]]
) -> None:
    email, _ = new_account(pictor_server)
    with httpx.Client(base_url=pictor_server.url) as client:
        again = client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert again.status_code == 409
    page_at.goto(pictor_server.url + "/")
    form = page_at.get_by_role("form", name="Create an account")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    expect(form.get_by_role("alert")).to_have_text(
        f"{again.json()['error']['message']} (email_taken)"
    )
    expect(form.get_by_role("button", name="Create account")).to_be_enabled()


def test_sign_out_then_sign_in_with_the_password(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., tuple[str, str]]
) -> None:
    page = page_at
    account = signed_in(page, pictor_server)
    expect_signed_in(page)
    page.get_by_role("button", name="Sign out").click()
    expect_signed_out(page)
    expect(page.locator("#toasts")).to_contain_text("You are signed out.")
    assert page.evaluate("() => localStorage.getItem('pictor.auth')") is None
    sign_in_through_page(page, pictor_server, account)
    expect_signed_in(page)


def test_a_wrong_password_shows_the_api_message(
    page_at: Page, pictor_server: PictorServer, new_account: Callable[..., tuple[str, str]]
) -> None:
    email, _ = new_account(pictor_server)
    wrong = {"email": email, "password": "not the password"}
    with httpx.Client(base_url=pictor_server.url) as client:
        answer = client.post("/v1/auth/login", json=wrong)
    assert answer.status_code == 401
    message = answer.json()["error"]["message"]
    page = page_at
    page.goto(pictor_server.url + "/")
    form = sign_in_form(page)
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(wrong["password"])
    form.get_by_role("button", name="Sign in").click()
    expect(form.get_by_role("alert")).to_have_text(f"{message} (invalid_credentials)")
    expect_signed_out(page)


def test_the_admin_key_signs_in(page_at: Page, pictor_server: PictorServer) -> None:
    bad_key = "psk_not-a-key-of-this-server"
    with httpx.Client(base_url=pictor_server.url) as client:
        refused = client.get("/v1/me", headers={"Authorization": f"Bearer {bad_key}"}).json()
    page = page_at
    page.goto(pictor_server.url + "/")
    form = page.get_by_role("form", name="Use an API key")
    form.get_by_label("API key").fill(bad_key)
    form.get_by_role("button", name="Use this key").click()
    error = refused["error"]
    expect(form.get_by_role("alert")).to_have_text(f"{error['message']} ({error['code']})")
    expect_signed_out(page)

    form.get_by_label("API key").fill(pictor_server.admin_key)
    form.get_by_role("button", name="Use this key").click()
    expect_signed_in(page)
    assert stored_credentials(page) == {"kind": "key", "key": pictor_server.admin_key}


def test_the_session_survives_a_reload(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., tuple[str, str]]
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    page.goto(pictor_server.url + "/#/credits")
    expect(page.get_by_role("heading", name="Credits", level=1)).to_be_visible()
    page.reload()
    expect_signed_in(page)
    expect(page.get_by_role("heading", name="Credits", level=1)).to_be_visible()


def expire_access_token(page: Page, server: PictorServer) -> str:
    """Put an expired access token of the signed-in user in the page's storage (issued by
    pictor's own AccessTokens with the server's secret and a clock two minutes back)."""
    before = stored_credentials(page)
    with httpx.Client(base_url=server.url) as client:
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {before['access']}"})
        tokens = AccessTokens(
            server.env["PICTOR_SECURITY_SECRET_KEY"], 60, clock=lambda: time.time() - 120
        )
        expired = tokens.issue(me.json()["id"], "user")
        refused = client.get("/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "invalid_token"
    page.evaluate(
        "(auth) => localStorage.setItem('pictor.auth', JSON.stringify(auth))",
        {**before, "access": expired},
    )
    return expired


@pytest.mark.parametrize("page_at", ["desktop"], indirect=True)
def test_an_expired_access_token_is_refreshed(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., tuple[str, str]]
) -> None:
    """The server refuses the expired token (401 invalid_token); the page refreshes the
    pair with its refresh token, retries, and the user stays signed in.

    The token is issued by pictor's own AccessTokens with the server's secret and a clock
    two minutes back, so it is exactly what the server would have issued and let expire
    (the shortest PICTOR_AUTH_ACCESS_TTL_S is 60 s: a test waiting for that is too slow).
    """
    page = page_at
    signed_in(page, pictor_server)
    before = stored_credentials(page)
    expired = expire_access_token(page, pictor_server)

    page.goto(pictor_server.url + "/#/credits")
    page.reload()
    expect(page.locator("#credits-available")).to_have_text(BALANCE)
    expect_signed_in(page)
    after = stored_credentials(page)
    assert after["access"] not in (before["access"], expired)
    assert after["refresh"] != before["refresh"], "the refresh token was rotated"


@pytest.mark.parametrize("page_at", ["phone"], indirect=True)
def test_a_revoked_session_returns_to_sign_in_and_says_why(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., tuple[str, str]]
) -> None:
    """Signed out elsewhere (the refresh token revoked) and the access token expired:
    the refresh is refused, the page goes back to the sign-in form and says so."""
    page = page_at
    signed_in(page, pictor_server)
    refresh = stored_credentials(page)["refresh"]
    with httpx.Client(base_url=pictor_server.url) as client:
        revoked = client.post("/v1/auth/logout", json={"refresh_token": refresh})
    assert revoked.status_code in (200, 204), revoked.text
    expire_access_token(page, pictor_server)
    page.reload()
    expect_signed_out(page)
    expect(page.locator("#toasts")).to_contain_text("Your session has ended")
    assert page.evaluate("() => localStorage.getItem('pictor.auth')") is None
