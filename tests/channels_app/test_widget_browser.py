"""`<myagent-chat>` in headless Chromium on a page served from another origin than the app.

The page is a customer's website: a tiny HTTP server on its own port serving HTML that
pastes the snippet exactly as the BackOffice shows it (versioned script URL, integrity
hash, crossorigin). `http://127.0.0.1:<port>` is the allowed origin; the same server under
`http://localhost:<port>` is another origin, which the key does not allow. Chromium comes
from the module-scoped `browser` fixture in tests/live.py.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from channels_app.widget.models import WidgetSession
from tests.agents.factories import fake_llm_agent
from tests.channels_app.widget_factories import reset_ip_rate_limits, widget_key

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]

WIDGET = "myagent-chat"
LAUNCHER = f'{WIDGET} [part~="launcher"]'
STATUS = f'{WIDGET} [part~="status"]'
INPUT = f'{WIDGET} [part~="input"]'
RECORD_EVENTS = """
window.__widgetEvents = [];
for (const name of ["myagent:error", "myagent:message"]) {
  document.addEventListener(name, (event) => window.__widgetEvents.push({name, detail: event.detail}));
}
"""
STREAMING_TEXT = f"""() => {{
  const root = document.querySelector("{WIDGET}").shadowRoot;
  const bubble = root.querySelector('[part~="message-assistant"][data-streaming]');
  return bubble && bubble.textContent.length > 0 ? bubble.textContent : null;
}}"""
LAST_REPLY = f"""() => {{
  const root = document.querySelector("{WIDGET}").shadowRoot;
  const bubbles = root.querySelectorAll('[part~="message-assistant"]:not([data-greeting])');
  const last = bubbles[bubbles.length - 1];
  return last && !last.hasAttribute("data-streaming") && last.hasAttribute("data-id") ? last.textContent : null;
}}"""


class CustomerSite:
    """Serves `pages[path]` as HTML; reachable as 127.0.0.1 and as localhost (two origins)."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.other_origin = f"http://localhost:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[CustomerSite]:
    server = CustomerSite()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_ip_windows():
    reset_ip_rate_limits()


@pytest.fixture
def backoffice(tenant, daphne_server, settings) -> Client:
    settings.PUBLIC_BASE_URL = daphne_server.url  # the snippet points at the running app
    client = Client()
    client.force_login(tenant.owner)
    return client


@pytest.fixture
def key(tenant, fake_openai, site):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url, name="Café Sol", greeting="¡Hola! Soy Sol.")
    return widget_key(tenant.organization, agent=agent, allowed_origins=[site.origin])


def snippet_from_backoffice(backoffice: Client, key) -> str:
    page = backoffice.get(reverse("backoffice:widget_key_detail", args=[key.pk])).content.decode()
    return unescape(re.search(r'<pre class="snippet" id="widget-snippet">(.*?)</pre>', page, re.S).group(1))


def customer_page(site: CustomerSite, path: str, snippet: str) -> str:
    site.pages[path] = f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Café Sol</title></head>
<body><h1>Café Sol</h1><p>Bienvenido a nuestra web.</p>
{snippet}
</body></html>"""
    return path


def open_page(browser, url: str) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport={"width": 390, "height": 780})  # a phone
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(RECORD_EVENTS)
    page.goto(url)
    page.wait_for_function(f"() => customElements.get('{WIDGET}') !== undefined")
    return page, dialogs


def send(page: Page, text: str) -> None:
    page.locator(INPUT).fill(text)
    page.locator(INPUT).press("Enter")


def test_streamed_reply_then_revoke_from_the_backoffice_ends_the_chat(
    browser, site, daphne_server, backoffice, key, fake_openai
):
    reply = "Claro que sí. Tenemos mesas libres esta noche a partir de las 21 h, en la terraza."
    path = customer_page(site, "/reservas", snippet_from_backoffice(backoffice, key))
    page, dialogs = open_page(browser, site.origin + path)
    try:
        page.locator(LAUNCHER).click()
        expect(page.locator(STATUS)).to_have_attribute("data-state", "ready", timeout=15_000)
        # A first exchange warms daphne's LLM client: the first call in a process is slow and
        # arrives in one burst, which would hide the streaming this test is about.
        send(page, "Hola")
        assert page.wait_for_function(LAST_REPLY, timeout=20_000).json_value() == "Echo: Hola"
        fake_openai.queue(reply, token_delay=0.12)

        send(page, "¿Tienen mesa para dos esta noche?")

        partial = page.wait_for_function(STREAMING_TEXT, timeout=15_000).json_value()
        final = page.wait_for_function(LAST_REPLY, timeout=20_000).json_value()
        assert partial
        assert reply.startswith(partial)
        assert len(partial) < len(reply)
        assert final == reply
        session = WidgetSession.unscoped.get(widget_key=key)
        assert session.origin == site.origin
        assert session.message_count == 4

        # The admin clicks "Revoke" in the BackOffice: another process than daphne in production,
        # another thread here (this one holds Playwright's event loop).
        with ThreadPoolExecutor(max_workers=1) as admin:
            response = admin.submit(
                backoffice.post, reverse("backoffice:widget_session_revoke", args=[session.pk])
            ).result()

        assert response.status_code == 302
        expect(page.locator(STATUS)).to_have_attribute("data-state", "ended", timeout=5_000)
        assert page.evaluate(f"document.querySelector('{WIDGET}').state") == "ended"
        assert dialogs == []
    finally:
        page.context.close()


def test_model_output_with_html_is_shown_as_text(browser, site, daphne_server, backoffice, key, fake_openai):
    evil = 'Mira esto: <script>alert(1)</script><img src=x onerror="window.__pwned=1;alert(2)"> fin'
    path = customer_page(site, "/xss", snippet_from_backoffice(backoffice, key))
    page, dialogs = open_page(browser, site.origin + path)
    try:
        page.locator(LAUNCHER).click()
        expect(page.locator(STATUS)).to_have_attribute("data-state", "ready", timeout=15_000)
        fake_openai.queue(evil)

        send(page, "Enséñame algo")
        final = page.wait_for_function(LAST_REPLY, timeout=20_000).json_value()
        page.wait_for_timeout(300)  # an injected image would have failed to load by now

        assert "<script>alert(1)</script>" in final
        assert 'onerror="window.__pwned=1;alert(2)"' in final
        elements = page.evaluate(
            f"""() => document.querySelector("{WIDGET}").shadowRoot
                 .querySelectorAll('[part~="messages"] script, [part~="messages"] img').length"""
        )
        assert elements == 0
        assert page.evaluate("window.__pwned") is None
        assert dialogs == []
    finally:
        page.context.close()


def test_a_page_on_a_disallowed_origin_is_refused(browser, site, daphne_server, backoffice, key):
    path = customer_page(site, "/otra-web", snippet_from_backoffice(backoffice, key))
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(RECORD_EVENTS)
    try:
        with page.expect_response(lambda r: r.url.endswith("/widget/v1/session/") and r.request.method == "POST") as r:
            page.goto(site.other_origin + path)  # same server, other origin: not allowed
        assert r.value.status == 403

        expect(page.locator(STATUS)).to_have_attribute("data-state", "unavailable", timeout=10_000)
        expect(page.locator(STATUS)).to_contain_text("no está habilitado para este sitio web")
        errors = page.evaluate("window.__widgetEvents.filter((e) => e.name === 'myagent:error')")
        assert errors[0]["detail"]["code"] == "origin_not_allowed"
        assert not WidgetSession.unscoped.filter(widget_key=key).exists()
    finally:
        context.close()
