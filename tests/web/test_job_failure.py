"""A job that fails shows the API's own error message in its card, not a generic text.

The job is a real ``generate`` through the page's Generate view, run by pictor's OpenAI
provider against a fake of OpenAI's images API on loopback (tests/generate's fake) that
refuses pictor's key, as OpenAI does with a 401."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.generate.fakes import FakeOpenAI
from tests.web.server import PictorServer
from tests.web.threaded import threaded_server

#: A job waits for a worker, runs, fails: generous on a loaded machine.
JOB_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def failing_provider_server(
    start_pictor: Callable[..., contextlib.AbstractContextManager[PictorServer]],
) -> Iterator[PictorServer]:
    fake = FakeOpenAI()
    with threaded_server(fake.app) as url:
        env = {
            "PICTOR_PROVIDERS_OPENAI_API_KEY": "sk-not-the-key-the-fake-accepts",
            "PICTOR_PROVIDERS_OPENAI_BASE_URL": f"{url}/v1",
            "PICTOR_PROVIDERS_MAX_ATTEMPTS": "1",
        }
        with start_pictor(env) as server:
            yield server


def job_error(server: PictorServer, account: tuple[str, str], job_id: str) -> dict[str, str]:
    email, password = account
    with httpx.Client(base_url=server.url, timeout=60) as client:
        login = client.post("/v1/auth/login", json={"email": email, "password": password})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
    assert job["status"] == "failed", job
    return dict(job["error"])


def test_a_failed_job_shows_the_api_error_message(
    page_at: Page,
    failing_provider_server: PictorServer,
    signed_in: Callable[..., tuple[str, str]],
) -> None:
    page = page_at
    server = failing_provider_server
    account = signed_in(page, server)
    page.goto(f"{server.url}/#/generate")
    form = page.get_by_role("form", name="Describe the image")
    form.get_by_label("What to make").fill("a paper kite over a green hill")
    form.get_by_role("button", name="Generate").click()

    card = page.locator(".job-card").first
    expect(card).to_have_attribute("data-status", "failed", timeout=JOB_TIMEOUT_MS)
    job_id = card.get_attribute("data-job-id")
    assert job_id
    error = job_error(server, account, job_id)
    alert = card.get_by_role("alert")
    expect(alert).to_have_text(f"{error['message']} ({error['code']})")
    expect(card.locator("progress")).to_be_hidden()
    expect(card.get_by_role("button", name="Cancel")).to_be_hidden()
    # The provider's own words come through pictor to the user.
    assert error["code"] == "provider_auth_failed"
    assert "Incorrect API key provided" in error["message"]
