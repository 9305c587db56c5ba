"""The one module that calls the Twilio REST API.

Clients are cached per credential set, so each keeps its pooled HTTPS connections.
TWILIO_API_BASE_URL sends every request to another host (the tests' fake Twilio).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels_app.models import TwilioAccount

__all__ = ["TwilioCredentials", "TwilioRestException", "client_for", "credentials_for", "send_message"]


class RebasingHttpClient(TwilioHttpClient):
    """Sends requests meant for *.twilio.com to `base_url` instead."""

    def __init__(self, base_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class TwilioCredentials:
    account_sid: str
    auth_token: str  # also what Twilio signs webhooks with
    api_key_sid: str = ""
    api_key_secret: str = ""
    messaging_service_sid: str = ""

    def __repr__(self) -> str:
        return f"TwilioCredentials(account_sid={self.account_sid!r})"


def credentials_for(account: TwilioAccount | None) -> TwilioCredentials | None:
    """The organization's Twilio account, else the platform account from settings."""
    if account is not None:
        return TwilioCredentials(
            account.account_sid,
            str(account.auth_token),
            account.api_key_sid,
            str(account.api_key_secret or ""),
            account.messaging_service_sid,
        )
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN:
        return TwilioCredentials(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    return None


_clients: dict[TwilioCredentials, Client] = {}
_lock = threading.Lock()


def client_for(credentials: TwilioCredentials) -> Client:
    with _lock:
        client = _clients.get(credentials)
        if client is None:
            http_client = (
                RebasingHttpClient(settings.TWILIO_API_BASE_URL, timeout=15)
                if settings.TWILIO_API_BASE_URL
                else TwilioHttpClient(timeout=15)
            )
            if credentials.api_key_sid:
                client = Client(
                    credentials.api_key_sid,
                    credentials.api_key_secret,
                    account_sid=credentials.account_sid,
                    http_client=http_client,
                )
            else:
                client = Client(credentials.account_sid, credentials.auth_token, http_client=http_client)
            _clients[credentials] = client
        return client


def send_message(credentials: TwilioCredentials, **params: Any) -> Any:
    """Create an outbound message (Messages API). Raises TwilioRestException on errors."""
    return client_for(credentials).messages.create(**params)
