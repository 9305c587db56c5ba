"""Allowed origins of a widget key: parsing what admins type, matching what browsers send.

An entry is an exact origin (`https://shop.example.com`, `http://localhost:8080`) or a
wildcard for subdomains (`https://*.example.com` matches `https://a.example.com` and
`https://a.b.example.com`, not `https://example.com`). Scheme and port must match too.
Both sides are normalized the way browsers serialize origins: lower case, IDNA
(punycode) hosts, default ports dropped, no path.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.translation import gettext as _

DEFAULT_PORTS = {"http": 80, "https": 443}
WILDCARD = "*."
MAX_ORIGINS = 50


class OriginError(ValueError):
    pass


def _host(hostname: str) -> str:
    if hostname.startswith("["):  # IPv6 literal, kept as the browser writes it
        return hostname
    try:
        return hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise OriginError(_("“%(host)s” is not a valid host name.") % {"host": hostname}) from exc


def origin_normalize(value: str, *, allow_wildcard: bool = False) -> str:
    """`scheme://host[:port]` as a browser's `Origin` header would carry it; OriginError otherwise."""
    text = (value or "").strip()
    if text.endswith("/"):
        text = text[:-1]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise OriginError(_("“%(value)s” is not a valid origin.") % {"value": value}) from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OriginError(_("“%(value)s” must start with https:// or http://.") % {"value": value})
    if parts.path or parts.query or parts.fragment or parts.username or parts.password or "@" in parts.netloc:
        raise OriginError(
            _("“%(value)s” must be an origin only: scheme, host and optional port, no path.") % {"value": value}
        )
    netloc_host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    if netloc_host.startswith("[") and netloc_host.endswith("]"):
        hostname = netloc_host.lower()
    else:
        hostname = (parts.hostname or "").strip(".")
    if not hostname:
        raise OriginError(_("“%(value)s” has no host.") % {"value": value})
    wildcard = hostname.startswith(WILDCARD)
    if wildcard:
        base = hostname[len(WILDCARD) :]
        if not allow_wildcard:
            raise OriginError(_("“%(value)s” is not a valid origin.") % {"value": value})
        if "*" in base or base.count(".") < 1:
            raise OriginError(
                _("“%(value)s”: a wildcard must be followed by a domain, as in https://*.example.com.")
                % {"value": value}
            )
        host = WILDCARD + _host(base)
    else:
        if "*" in hostname:
            raise OriginError(
                _("“%(value)s”: the wildcard goes first, as in https://*.example.com.") % {"value": value}
            )
        host = _host(hostname)
    origin = f"{scheme}://{host}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        origin += f":{port}"
    return origin


def origins_parse(values: list[str] | str) -> list[str]:
    """Admin input (a list, or text with one origin per line/comma) → normalized, deduplicated."""
    if isinstance(values, str):
        values = values.replace(",", "\n").splitlines()
    errors: list[str] = []
    origins: list[str] = []
    for value in values:
        if not str(value).strip():
            continue
        try:
            origin = origin_normalize(str(value), allow_wildcard=True)
        except OriginError as exc:
            errors.append(str(exc))
            continue
        if origin not in origins:
            origins.append(origin)
    if errors:
        raise OriginError("\n".join(errors))
    if len(origins) > MAX_ORIGINS:
        raise OriginError(_("At most %(max)d origins per key.") % {"max": MAX_ORIGINS})
    return origins


def origin_allowed(*, origin: str, allowed: list[str]) -> bool:
    """Whether the `Origin` a browser sent matches one of the key's allowed origins."""
    try:
        candidate = origin_normalize(origin)
    except OriginError:
        return False  # includes the opaque "null" origin of file:// pages and sandboxed frames
    scheme, _sep, host_port = candidate.partition("://")
    for pattern in allowed:
        if pattern == candidate:
            return True
        pattern_scheme, _sep, pattern_host_port = pattern.partition("://")
        if pattern_scheme != scheme or not pattern_host_port.startswith(WILDCARD):
            continue
        suffix = pattern_host_port[1:]  # ".example.com[:port]"
        if host_port.endswith(suffix) and len(host_port) > len(suffix) and ":" not in host_port[: -len(suffix)]:
            return True
    return False
