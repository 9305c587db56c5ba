"""The guarded HTTP client: every request to a URL a tenant supplied goes through here.

HTTP tools, MCP servers, document URLs, outbound webhooks and provider base URLs are all
tenant-controlled, so a request to them could reach our own network (SSRF). The guard:

1. only `http` and `https` URLs;
2. the host name is resolved once, *every* address it resolves to must be public
   (no loopback, private, link-local, CGNAT, multicast, reserved or cloud-metadata
   addresses, IPv4-mapped IPv6 included), and the connection goes to the checked address
   — there is no second lookup a DNS rebinding could change;
3. redirects (at most 3) go through the same check, because the transport does it on
   every connection;
4. `OUTBOUND_ALLOWED_PRIVATE_HOSTS` (comma-separated `host:port`) names the private
   endpoints allowed anyway: self-hosted models, the tests' local fake servers.

`outbound_url_check` validates a URL when it is saved (forms, serializers); the clients
check again at connect time. Clients are shared per process, so connections are reused.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from myagent.errors import ApplicationError

MAX_REDIRECTS = 3
DEFAULT_TIMEOUT_SECONDS = 10.0
ALLOWED_SCHEMES = frozenset({"http", "https"})


class OutboundBlocked(ApplicationError):
    """The URL points somewhere we never connect to on a tenant's behalf."""

    code = "outbound_blocked"
    default_message = _("This address is not allowed: use a public http(s) URL.")


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global is False for private, loopback, link-local (169.254.169.254 metadata),
    # CGNAT 100.64/10, unique-local fc00::/7, reserved and unspecified addresses.
    return address.is_global and not address.is_multicast


def _allowed_private() -> frozenset[str]:
    raw = getattr(settings, "OUTBOUND_ALLOWED_PRIVATE_HOSTS", []) or []
    items: Iterable[str] = raw.split(",") if isinstance(raw, str) else raw
    return frozenset(item.strip().lower() for item in items if item.strip())


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def outbound_url_check(url: str) -> None:
    """Refuse a URL we would not connect to (scheme, host, resolved addresses).

    Raises `OutboundBlocked` with a plain message; used on save and at connect time.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundBlocked(_("This is not a valid URL.")) from exc
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise OutboundBlocked(_("Only http:// and https:// URLs are allowed."))
    if not parts.hostname:
        raise OutboundBlocked(_("The URL has no host name."))
    resolve_checked(parts.hostname, port or _default_port(parts.scheme.lower()))


def resolve_checked(host: str, port: int) -> str:
    """The address to connect to for `host:port`, after checking every resolved address."""
    host = host.strip("[]").lower()
    allowed = f"{host}:{port}" in _allowed_private()
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not allowed and not address_is_public(literal):
            raise OutboundBlocked()
        return str(literal)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundBlocked(_("The host name could not be resolved.")) from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise OutboundBlocked(_("The host name could not be resolved."))
    if not allowed and not all(address_is_public(address) for address in addresses):
        raise OutboundBlocked()
    return str(addresses[0])


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = resolve_checked(host, port)
        return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise OutboundBlocked()

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await anyio.to_thread.run_sync(resolve_checked, host, port)
        return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise OutboundBlocked()

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _check_scheme(request: httpx.Request) -> None:
    if request.url.scheme not in ALLOWED_SCHEMES:
        raise OutboundBlocked(_("Only http:// and https:// URLs are allowed."))


async def _check_scheme_async(request: httpx.Request) -> None:
    _check_scheme(request)


def _sync_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_GuardedBackend(), max_connections=100
    )
    return transport


def _async_transport() -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport()
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_AsyncGuardedBackend(), max_connections=100
    )
    return transport


_lock = threading.Lock()
_sync_client: httpx.Client | None = None


def outbound_client() -> httpx.Client:
    """The process's guarded sync client (redirects followed, at most 3, each re-checked).

    Pass `timeout=` per request; the default is 10 s.
    """
    global _sync_client
    with _lock:
        if _sync_client is None:
            _sync_client = httpx.Client(
                transport=_sync_transport(),
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=DEFAULT_TIMEOUT_SECONDS,
                event_hooks={"request": [_check_scheme]},
                trust_env=False,
            )
        return _sync_client


def outbound_async_client() -> httpx.AsyncClient:
    """A guarded async client for the running event loop (an AsyncClient belongs to one
    loop: callers on a long-lived loop keep theirs; see `outbound_async_client_for_loop`)."""
    return httpx.AsyncClient(
        transport=_async_transport(),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=DEFAULT_TIMEOUT_SECONDS,
        event_hooks={"request": [_check_scheme_async]},
        trust_env=False,
    )


_async_clients: dict[int, httpx.AsyncClient] = {}


def outbound_async_client_for_loop() -> httpx.AsyncClient:
    """The guarded async client shared by everything running on the current event loop."""
    import asyncio

    loop_id = id(asyncio.get_running_loop())
    client = _async_clients.get(loop_id)
    if client is None or client.is_closed:
        client = _async_clients[loop_id] = outbound_async_client()
    return client
