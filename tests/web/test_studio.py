"""Studio chat in the browser: a message becomes a job whose images appear in the thread,
an attached photo loses its background, a refused message shows the API's reason, and
the thread follows the session's event stream (a message posted elsewhere shows up)."""

from __future__ import annotations

import base64
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from tests.support.images import product_photo
from tests.web.conftest import ApiClientFor, SignIn
from tests.web.job_views import (
    JOB_TIMEOUT_MS,
    fetched,
    open_tool,
    product_photo_png,
    wait_for_job,
)
from tests.web.server import PictorServer


def assistant_answer(page: Page) -> Locator:
    return page.get_by_role("log", name="Messages").locator("article.msg-assistant").last


def test_a_logo_request_answers_with_logos_in_the_thread(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Studio chat")
    thread = page.get_by_role("log", name="Messages")
    expect(thread).to_contain_text("Say what you would like")

    message = page.get_by_role("textbox", name="Message")
    message.fill("make a logo for Acme Bakery")
    message.press("Enter")

    expect(thread.locator("article.msg-user")).to_have_text(
        re.compile("make a logo for Acme Bakery")
    )
    answer = assistant_answer(page)
    expect(answer).to_contain_text("Understood as designing a logo (rules engine")
    expect(answer).to_contain_text("Here are your logo designs.", timeout=JOB_TIMEOUT_MS)
    logos = answer.get_by_role("img", name=re.compile(r"^Logo design \d+, \d+\u00d7\d+$"))
    expect(logos).to_have_count(8)
    expect(logos.first).to_have_js_property("complete", True)
    assert logos.first.evaluate("img => img.naturalWidth") > 0
    expect(answer.get_by_text(re.compile(r"^All \d+ files"))).to_be_visible()
    expect(message).to_have_value("")
    expect(message).to_be_focused()

    # The conversation took its title from the message and is the current one.
    current = page.get_by_role("region", name="Conversations").locator("button[aria-current=true]")
    expect(current).to_contain_text("make a logo for Acme Bakery")
    expect(page.get_by_role("heading", level=2, name="make a logo for Acme Bakery")).to_be_visible()
    check_accessibility(page)


def test_an_attached_photo_loses_its_background(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    tmp_path: Path,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Studio chat")
    photo = product_photo_png(tmp_path / "bottle.png")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach images").click()
    chooser.value.set_files(str(photo))
    expect(page.get_by_role("img", name="Image to send: bottle.png")).to_be_visible()
    expect(page.get_by_role("list", name="Images to send")).to_contain_text("Ready")

    # Shift+Enter is a new line, not a send.
    message = page.get_by_role("textbox", name="Message")
    message.fill("please remove the")
    message.press("Shift+Enter")
    message.press_sequentially("background")
    expect(message).to_have_value("please remove the\nbackground")
    thread = page.get_by_role("log", name="Messages")
    expect(thread.locator("article")).to_have_count(0)
    message.press("Enter")

    expect(thread.get_by_role("img", name="Attached image 1")).to_be_visible()
    answer = assistant_answer(page)
    expect(answer).to_contain_text("Understood as removing the background")
    expect(answer).to_contain_text("Here it is without its background.", timeout=JOB_TIMEOUT_MS)
    result = answer.get_by_role("img", name="Image without its background 1, 320\u00d7240")
    expect(result).to_be_visible()
    src = result.get_attribute("src") or ""
    assert fetched(page, src)[:8] == b"\x89PNG\r\n\x1a\n"
    expect(answer.get_by_role("link", name="Download 1")).to_have_attribute("href", src)
    expect(page.get_by_role("list", name="Images to send")).to_be_hidden()
    check_accessibility(page)


def test_a_refused_message_shows_the_apis_reason(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    api_client_for: ApiClientFor,
) -> None:
    page = page_at
    account = signed_in(page, pictor_server)
    open_tool(page, "Studio chat")
    message = page.get_by_role("textbox", name="Message")
    message.fill("make a picture of a cat in the snow")
    page.get_by_role("button", name="Send").click()

    answer = assistant_answer(page)
    expect(answer).to_contain_text("Error code: provider_not_configured")
    # The words are the API's: the same message as the stored assistant message's error.
    client = api_client_for(pictor_server, account)
    session_id = client.get("/v1/studio/sessions").json()["data"][0]["id"]
    stored = client.get(f"/v1/studio/sessions/{session_id}").json()["messages"][-1]
    assert stored["status"] == "failed"
    expect(answer).to_contain_text(stored["error"]["message"])
    expect(answer).to_contain_text("Understood as making a new image")


def test_the_thread_follows_the_session_and_comes_back(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    api_client_for: ApiClientFor,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    account = signed_in(page, pictor_server)
    client = api_client_for(pictor_server, account)
    first = client.post("/v1/studio/sessions", json={"title": "Bakery launch"}).json()
    second = client.post("/v1/studio/sessions", json={"title": "Spring ads"}).json()
    open_tool(page, "Studio chat")
    sessions = page.get_by_role("region", name="Conversations")
    expect(sessions.get_by_role("button", name=re.compile("^Spring ads"))).to_be_visible()
    bakery = sessions.get_by_role("button", name=re.compile("^Bakery launch"))
    bakery.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Bakery launch")).to_be_visible()
    expect(bakery).to_have_attribute("aria-current", "true")
    expect(bakery).to_be_focused()
    expect(page).to_have_url(re.compile(f"#/studio\\?session={first['id']}$"))

    # Sent by another client: only the session's event stream brings it to the page.
    thread = page.get_by_role("log", name="Messages")
    turn = client.post(f"/v1/studio/sessions/{first['id']}/messages", json={"text": "hello there"})
    assert turn.status_code == 201, turn.text
    expect(thread.locator("article.msg-user")).to_have_text(re.compile("hello there"))
    expect(assistant_answer(page)).to_contain_text(turn.json()["assistant_message"]["reply"])
    expect(assistant_answer(page)).to_contain_text("Understood as a question or a chat")

    # Another conversation is empty; the address brings the first one back after a reload.
    sessions.get_by_role("button", name=re.compile("^Spring ads")).click()
    expect(page).to_have_url(re.compile(f"session={second['id']}$"))
    expect(thread.locator("article")).to_have_count(0)
    page.goto(f"{pictor_server.url}/#/studio?session={first['id']}")
    page.reload()  # a new document: only the address says which conversation to open
    expect(page.get_by_role("heading", level=2, name="Bakery launch")).to_be_visible()
    expect(thread.locator("article")).to_have_count(2)
    check_accessibility(page)


_DELIVER = """([target, kind, b64, name]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type: 'image/png' }));
  const element = document.querySelector(target);
  const init = { bubbles: true, cancelable: true };
  element.dispatchEvent(kind === 'paste'
    ? new ClipboardEvent('paste', { ...init, clipboardData: data })
    : new DragEvent('drop', { ...init, dataTransfer: data }));
}"""


def test_images_are_attached_by_paste_and_drop(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Studio chat")
    png = base64.b64encode(product_photo(160, 120, "PNG")).decode()
    page.get_by_role("textbox", name="Message").focus()
    page.evaluate(_DELIVER, [".studio-composer textarea", "paste", png, "pasted.png"])
    page.evaluate(_DELIVER, [".studio-composer", "drop", png, "dropped.png"])
    waiting = page.get_by_role("list", name="Images to send")
    expect(waiting.get_by_role("img", name="Image to send: pasted.png")).to_be_visible()
    expect(waiting.get_by_role("img", name="Image to send: dropped.png")).to_be_visible()
    expect(waiting.get_by_text("Ready")).to_have_count(2)
    check_accessibility(page)

    waiting.get_by_role("button", name="Remove image 1").click()
    expect(waiting.get_by_role("img")).to_have_count(1)
    page.get_by_role("textbox", name="Message").fill("remove the background")
    page.get_by_role("button", name="Send").click()
    thread = page.get_by_role("log", name="Messages")
    expect(thread.get_by_role("img", name=re.compile("^Attached image"))).to_have_count(1)
    answer = assistant_answer(page)
    expect(answer).to_contain_text("Here it is without its background.", timeout=JOB_TIMEOUT_MS)
    result = answer.get_by_role("img", name="Image without its background 1, 160\u00d7120")
    expect(result).to_be_visible()


class OpenGate:
    """Holds test_steps jobs in their child process until `open()` (a loopback socket the
    child connects to; it blocks until answered, see tests/support/gates.py)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.opened = threading.Event()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.opened.is_set():
                    conn.sendall(b"go\n")
                    conn.close()
                else:
                    self.held.append(conn)

    def open(self) -> None:
        with self.lock:
            self.opened.set()
            for conn in self.held:
                conn.sendall(b"go\n")
                conn.close()
            self.held.clear()

    def close(self) -> None:
        self.open()
        self.listener.close()


def test_a_waiting_job_shows_its_progress_and_can_be_canceled(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    gate = OpenGate()
    blockers: list[str] = []
    try:
        with pictor_server.admin_client() as admin:
            # Both job slots of the server (--workers 2) busy: the studio's job waits.
            for _ in range(2):
                body = {"kind": "test_steps", "params": {"port": gate.port, "steps": 1}}
                blockers.append(admin.post("/v1/jobs", json=body).json()["id"])
            for job_id in blockers:
                wait_for_job(admin, job_id, "running")
            open_tool(page, "Studio chat")
            message = page.get_by_role("textbox", name="Message")
            message.fill("make a logo for Acme Bakery")
            message.press("Enter")
            answer = assistant_answer(page)
            expect(answer).to_contain_text("Designing your logo")
            expect(answer).to_contain_text("Waiting for a worker")
            bar = answer.get_by_role("progressbar", name="Progress of designing a logo")
            expect(bar).to_have_js_property("value", 0)
            check_accessibility(page)
            answer.get_by_role("button", name="Cancel").click()
            expect(answer).to_contain_text("Error code: job_canceled")
            expect(bar).to_have_count(0)
            expect(answer.get_by_role("img")).to_have_count(0)
    finally:
        gate.close()
