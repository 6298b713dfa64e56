"""Browser tests of the studio page: a live `pictor serve`, Debian's chromium driven by
Playwright (no browser download), a page per test at phone and desktop width.

Fixtures (see .helper/WEB.md and docs/web.md):
- ``pictor_server``: a session-wide server (``.url``, ``.admin_key``);
- ``start_pictor(env)``: a context manager for a server with extra settings;
- ``new_account(server)``: ``(email, password)`` of a new user with plenty of credits;
- ``page_at``: a Page at ``phone`` (390x844, touch) or ``desktop`` (1280x800) width;
  console errors and uncaught exceptions in the page fail the test; a failed test leaves
  a screenshot in ``test-artifacts/web/``;
- ``signed_in(page, server)``: a new account signed in through the page (type ``SignIn``);
- ``api_client_for(server, account)``: an API client signed in as that account (type
  ``ApiClientFor``), closed after the test;
- ``check_accessibility(page)``: axe-core (WCAG 2 A/AA) on the page as it is now.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from tests.support.server import ROOT
from tests.web.a11y import axe_violations, describe_violations
from tests.web.server import PictorServer, start_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "web"
#: Credits a test account gets (admin adjustment on top of the signup grant).
ACCOUNT_CREDITS = 100_000
PASSWORD = "correct horse battery"

#: The types of the ``signed_in`` and ``api_client_for`` fixtures.
SignIn = Callable[[Page, PictorServer], tuple[str, str]]
ApiClientFor = Callable[[PictorServer, tuple[str, str]], httpx.Client]

#: Playwright waits (expect, clicks, navigations): generous, the CI machine is loaded.
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

# Chromium logs each HTTP error answer to fetch() on the console. A 4xx is the API
# answering a request the page handles (wrong password, expired token, ...); a 5xx is not.
_EXPECTED_HTTP_ERROR = re.compile(
    r"Failed to load resource: the server responded with a status of 4\d\d"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are sync: see the ``browser`` fixture for why."""
    here = Path(__file__).parent
    for item in items:
        function = getattr(item, "function", None)
        if item.path.parent == here and inspect.iscoroutinefunction(function):
            raise pytest.UsageError(f"{item.nodeid}: tests/web holds sync tests only")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item: the page fixture screenshots failures."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ---------------------------------------------------------------- servers and accounts


@pytest.fixture(scope="session")
def start_pictor(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., contextlib.AbstractContextManager[PictorServer]]:
    """``with start_pictor({"PICTOR_...": "..."}) as server:`` a server of its own."""

    @contextlib.contextmanager
    def start(env: dict[str, str] | None = None) -> Iterator[PictorServer]:
        server = start_server(tmp_path_factory.mktemp("pictor-web"), env)
        try:
            yield server
        finally:
            server.stop()

    return start


@pytest.fixture(scope="session")
def pictor_server(
    start_pictor: Callable[..., contextlib.AbstractContextManager[PictorServer]],
) -> Iterator[PictorServer]:
    with start_pictor() as server:
        yield server


def create_account(server: PictorServer, credits: int = ACCOUNT_CREDITS) -> tuple[str, str]:
    """Register through the API, then add credits with the admin API."""
    email = f"web-{uuid.uuid4().hex[:12]}@example.com"
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 201, answer.text
        user_id = answer.json()["user"]["id"]
    with server.admin_client() as admin:
        answer = admin.post(
            f"/v1/admin/users/{user_id}/credits", json={"amount": credits, "note": "web tests"}
        )
        assert answer.status_code == 201, answer.text
    return email, PASSWORD


@pytest.fixture
def new_account() -> Callable[[PictorServer], tuple[str, str]]:
    return create_account


@pytest.fixture
def api_client_for() -> Iterator[ApiClientFor]:
    """An API client signed in as a test account (to read what the page should show)."""
    clients: list[httpx.Client] = []

    def make(server: PictorServer, account: tuple[str, str]) -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=60)
        clients.append(client)
        email, password = account
        login = client.post("/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        return client

    yield make
    for client in clients:
        client.close()


# ---------------------------------------------------------------- browser and pages


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not session-wide: while the sync Playwright runs,
    its event loop counts as running in this thread, and pytest-asyncio's tests in the
    modules after would fail ("Runner.run() cannot be called from a running event loop").
    So tests/web holds only sync tests, and the browser stops at the end of each module.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package "
            "(apt-get install chromium) before the tests"
        )
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


class PageProblems:
    """What went wrong inside the page: console errors and uncaught exceptions."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error" or _EXPECTED_HTTP_ERROR.search(message.text):
            return
        where = message.location.get("url", "")
        self.messages.append(f"console error: {message.text} ({where})")


def width_of(page: Page) -> str:
    """``phone`` or ``desktop``: the width a ``page_at`` page was made at."""
    return str(getattr(page, "width_name", "?"))


def _artifact_name(item: pytest.Item) -> str:
    name = item.nodeid.removeprefix("tests/web/")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") + ".png"


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def page_at(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page at the parametrized width."""
    context = browser.new_context(**VIEWPORTS[request.param], locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = PageProblems(page)
    page.width_name = request.param  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        failed = any(
            getattr(getattr(request.node, f"report_{when}", None), "failed", False)
            for when in ("setup", "call")
        )
        if failed or problems.messages:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / _artifact_name(request.node)), full_page=True)
        context.close()
    if problems.messages:
        pytest.fail("the page reported errors:\n" + "\n".join(problems.messages), pytrace=False)


def sign_in_through_page(page: Page, server: PictorServer, account: tuple[str, str]) -> None:
    """Open the page and sign in with the password form; wait for the signed-in header."""
    email, password = account
    page.goto(server.url + "/")
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#credits-balance")).to_have_text(re.compile(r"^\d+$"))


@pytest.fixture
def signed_in() -> SignIn:
    def sign_in(page: Page, server: PictorServer) -> tuple[str, str]:
        account = create_account(server)
        sign_in_through_page(page, server, account)
        return account

    return sign_in


@pytest.fixture
def check_accessibility() -> Callable[[Page], None]:
    def check(page: Page) -> None:
        violations = axe_violations(page)
        if violations:
            pytest.fail(describe_violations(violations, page), pytrace=False)

    return check
