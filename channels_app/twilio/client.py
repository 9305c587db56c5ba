"""The one module that calls the Twilio REST API.

Clients are cached per credential set, so each keeps its pooled HTTPS connections.
TWILIO_API_BASE_URL sends every request to another host (the tests' fake Twilio).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels_app.models import ChannelConnection, TwilioAccount

__all__ = [
    "TwilioCredentials",
    "TwilioRestException",
    "TwilioSendError",
    "client_for",
    "credentials_for",
    "send_message",
    "twilio_auth_tokens_for",
]


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


def twilio_auth_tokens_for(connection: ChannelConnection) -> list[str]:
    """The auth tokens a webhook for `connection` may be signed with: its organization's
    account token, or the platform token when the connection uses the platform account.
    Empty (so every request fails the signature check) when neither is configured."""
    credentials = credentials_for(connection.twilio_account)
    return [credentials.auth_token] if credentials and credentials.auth_token else []


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


SDK_MESSAGE_PREFIX = "Unable to create record: "


def _http_error(status: int, code: int | None, message: str) -> TwilioSendError:
    # Rate limits and server errors mean Twilio did not create the message: safe to retry.
    return TwilioSendError(code=str(code or status), message=message, retryable=status == 429 or status >= 500)


class TwilioSendError(Exception):
    """A send Twilio did not accept. `retryable` is True only when Twilio certainly did not
    create the message (rate limit, server error, connection refused), so sending again
    cannot deliver it twice; a read timeout is not retryable for the same reason."""

    def __init__(self, *, code: str, message: str, retryable: bool):
        self.code = code
        self.message = message[:255]
        self.retryable = retryable
        super().__init__(f"{code}: {self.message}")


def send_message(credentials: TwilioCredentials, **params: Any) -> Any:
    """Create an outbound message (Messages API) and return Twilio's resource.

    Raises TwilioSendError for every failure, with Twilio's error code when it gave one.
    """
    try:
        return client_for(credentials).messages.create(**params)
    except TwilioRestException as exc:
        # The SDK prefixes Twilio's message with its own "Unable to create record: ".
        raise _http_error(exc.status, exc.code, str(exc.msg or "").removeprefix(SDK_MESSAGE_PREFIX)) from exc
    except TwilioServiceException as exc:  # RFC 9457 problem details, newer Twilio APIs
        raise _http_error(exc.status, exc.code, str(exc.detail or exc.title or "")) from exc
    except requests.ConnectionError as exc:  # includes ConnectTimeout: the request never reached Twilio
        raise TwilioSendError(code="connection_error", message=type(exc).__name__, retryable=True) from exc
    except requests.Timeout as exc:
        raise TwilioSendError(code="timeout", message=type(exc).__name__, retryable=False) from exc
