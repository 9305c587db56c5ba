"""The guarded outbound client refuses private destinations, also after a redirect."""

from __future__ import annotations

import http.server
import threading

import pytest

from integrations.clients.outbound import OutboundBlocked, outbound_client, outbound_url_check


@pytest.fixture
def local_http():
    """A loopback server: `/ok` answers 200, `/redirect?to=URL` answers 302."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", self.path.split("to=", 1)[1])
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"internal secret")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "http://localhost/",
        "file:///etc/passwd",
        "gopher://example.com/",
    ],
)
def test_private_and_odd_urls_are_refused_on_save(url):
    with pytest.raises(OutboundBlocked):
        outbound_url_check(url)


def test_loopback_port_not_allowed_is_refused_at_connect(local_http, settings):
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(OutboundBlocked):
        outbound_client().get(f"http://127.0.0.1:{local_http}/ok")


def test_allowed_private_host_connects(local_http, settings):
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = [f"127.0.0.1:{local_http}"]
    response = outbound_client().get(f"http://127.0.0.1:{local_http}/ok")
    assert response.status_code == 200


def test_redirect_to_a_private_address_is_refused(local_http, settings):
    # The first hop is allowed (a stand-in for a public server); where it redirects is not.
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = [f"127.0.0.1:{local_http}"]
    with pytest.raises(OutboundBlocked):
        outbound_client().get(f"http://127.0.0.1:{local_http}/redirect?to=http://169.254.169.254/latest/")
    with pytest.raises(OutboundBlocked):
        outbound_client().get(f"http://127.0.0.1:{local_http}/redirect?to=http://localhost:{local_http}/ok")


async def test_async_client_refuses_loopback(local_http, settings):
    from integrations.clients.outbound import outbound_async_client

    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = []
    async with outbound_async_client() as client:
        with pytest.raises(OutboundBlocked):
            await client.get(f"http://127.0.0.1:{local_http}/ok")
