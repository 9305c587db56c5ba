"""Reads shared by every Twilio channel (messaging and voice)."""

from __future__ import annotations

from accounts.models import Organization
from channels_app.models import ChannelConnection, TwilioAccount
from channels_app.twilio.client import credentials_for

# An account SID can be registered by several organizations (agencies); bound the lookup.
MAX_ACCOUNTS_PER_SID = 20


def connection_for_inbound(*, kind: str, address: str) -> ChannelConnection | None:
    """The connection a Twilio webhook is addressed to, with its organization, agent and
    Twilio account loaded (active or not: callers decide what an inactive one means).

    A webhook arrives with no tenant: the number Twilio called, unique platform-wide per
    kind, is what names it, and the caller must then verify the request's signature with
    that connection's token before acting on it.
    """
    if not kind or not address:
        return None
    return (
        ChannelConnection.unscoped.select_related(  # tenant-bypass: (kind, address) is unique platform-wide; routing by it establishes the tenant
            "organization", "agent", "twilio_account"
        )
        .filter(kind=kind, address=address)
        .first()
    )


def auth_tokens_for_account_sid(*, account_sid: str, organization: Organization | None = None) -> list[str]:
    """Tokens that may have signed a webhook no connection claims (an unknown or removed
    number): those of the Twilio accounts registered under the AccountSid the request
    names, and the platform token. Lets such requests still be told apart from forgeries.

    Any organization may register an account under any AccountSid, so a request about a
    known object (a call whose number was since disconnected) passes its `organization`:
    then only that organization's accounts count."""
    tokens = []
    if account_sid:
        accounts = TwilioAccount.unscoped.filter(  # tenant-bypass: only reads tokens to verify a signature; nothing is returned to the caller
            account_sid=account_sid
        )
        if organization is not None:
            accounts = accounts.filter(organization=organization)
        tokens = [str(account.auth_token) for account in accounts[:MAX_ACCOUNTS_PER_SID] if account.auth_token]
    platform = credentials_for(None)
    if platform is not None and platform.auth_token:
        tokens.append(platform.auth_token)
    return tokens
