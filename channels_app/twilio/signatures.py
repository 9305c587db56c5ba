"""Every inbound Twilio request's signature is checked here, and only here.

Twilio signs the exact public URL it called plus the POST parameters with the account's
auth token. Behind a proxy the URL Django sees differs, so we rebuild it from
PUBLIC_BASE_URL. WebSocket handshakes (ConversationRelay) are signed over the URL only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from accounts.models import Organization
from channels_app.models import ChannelConnection
from channels_app.twilio.client import twilio_auth_tokens_for
from channels_app.twilio.selectors import auth_tokens_for_account_sid


def public_url(path_with_query: str) -> str:
    return settings.PUBLIC_BASE_URL + path_with_query


def is_valid_signature(
    *, auth_tokens: Iterable[str], url: str, params: Mapping[str, str | list[str]], signature: str
) -> bool:
    """True when `signature` matches for any candidate token (org token, platform token)."""
    if not signature:
        return False
    return any(token and RequestValidator(token).validate(url, params, signature) for token in auth_tokens)


def request_signature_valid(*, request: HttpRequest, auth_tokens: Iterable[str]) -> bool:
    url = public_url(request.get_full_path())
    params = {key: request.POST.getlist(key) if len(request.POST.getlist(key)) > 1 else request.POST[key]
              for key in request.POST}  # fmt: skip
    return is_valid_signature(
        auth_tokens=auth_tokens, url=url, params=params, signature=request.headers.get("X-Twilio-Signature", "")
    )


def request_is_signed(request: HttpRequest) -> bool:
    """Whether the request carries a Twilio signature at all (unsigned requests are refused
    before any lookup)."""
    return bool(request.headers.get("X-Twilio-Signature"))


def connection_request_valid(*, request: HttpRequest, connection: ChannelConnection) -> bool:
    """Check a webhook addressed to `connection` with its organization's auth token (or the
    platform token when the connection uses the platform account). Fails closed when no
    token is configured."""
    return request_signature_valid(request=request, auth_tokens=twilio_auth_tokens_for(connection))


def unrouted_request_valid(*, request: HttpRequest, organization: Organization | None = None) -> bool:
    """Check a webhook that names no known connection (unknown number, unknown MessageSid,
    a call whose number was disconnected) with the tokens of the AccountSid it carries —
    only `organization`'s when given — or the platform token."""
    tokens = auth_tokens_for_account_sid(account_sid=request.POST.get("AccountSid", ""), organization=organization)
    return request_signature_valid(request=request, auth_tokens=tokens)
