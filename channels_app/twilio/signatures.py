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
