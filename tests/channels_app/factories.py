"""Twilio accounts, connections and signed Twilio webhook requests for the channel tests."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from accounts.models import Organization
from agents.models import Agent
from channels_app.messaging.services.accounts import twilio_account_create
from channels_app.messaging.services.connections import channel_connection_create
from channels_app.models import ChannelConnection, TwilioAccount

INBOUND_PATH = "/webhooks/twilio/messaging/"
STATUS_PATH = "/webhooks/twilio/messaging/status/"
_numbers = itertools.count(1)


def new_account_sid() -> str:
    return "AC" + secrets.token_hex(16)


def new_message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def new_number() -> str:
    return f"+3491{next(_numbers):07d}"


def twilio_account(organization: Organization, **fields: Any) -> TwilioAccount:
    fields.setdefault("account_sid", new_account_sid())
    fields.setdefault("auth_token", secrets.token_hex(16))
    return twilio_account_create(organization=organization, **fields)


def channel_connection(
    organization: Organization,
    *,
    agent: Agent,
    kind: str = ChannelConnection.Kind.WHATSAPP,
    address: str | None = None,
    twilio_account: TwilioAccount | None = None,
    **fields: Any,
) -> ChannelConnection:
    return channel_connection_create(
        organization=organization,
        kind=kind,
        address=address or new_number(),
        agent=agent,
        twilio_account=twilio_account,
        **fields,
    )


def sign(*, auth_token: str, url: str, params: dict[str, Any]) -> str:
    """The X-Twilio-Signature Twilio would send, computed by the twilio SDK itself."""
    return RequestValidator(auth_token).compute_signature(url, params)


def signed_post(
    client: Client,
    path: str,
    params: dict[str, Any],
    *,
    auth_token: str,
    signed_params: dict[str, Any] | None = None,
    base_url: str | None = None,
) -> Any:
    """POST form-encoded like Twilio, signed over `signed_params` (default: what is sent)."""
    url = (base_url or settings.PUBLIC_BASE_URL) + path
    signature = sign(auth_token=auth_token, url=url, params=signed_params if signed_params is not None else params)
    return client.post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )


def inbound_params(
    connection: ChannelConnection,
    *,
    body: str = "Hola",
    sender: str = "+34600111222",
    sid: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Twilio's "a message comes in" parameters for a message to `connection`."""
    prefix = "whatsapp:" if connection.kind == ChannelConnection.Kind.WHATSAPP else ""
    params = {
        "MessageSid": sid or new_message_sid(),
        "SmsMessageSid": sid or "",
        "AccountSid": connection.twilio_account.account_sid
        if connection.twilio_account
        else settings.TWILIO_ACCOUNT_SID,
        "MessagingServiceSid": "",
        "From": f"{prefix}{sender}",
        "To": connection.twilio_address,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    if prefix:
        params.update(ProfileName="Lucía", WaId=sender.lstrip("+"), MessageType="text")
    params["SmsMessageSid"] = params["MessageSid"]
    params.update(extra)
    return params


def auth_token_of(connection: ChannelConnection) -> str:
    if connection.twilio_account is not None:
        return str(connection.twilio_account.auth_token)
    return settings.TWILIO_AUTH_TOKEN


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks inline where they are enqueued (Celery's own testing switch), so
    in-process tests see the whole pipeline and nothing lands on the shared Redis queue."""
    from myagent.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous
