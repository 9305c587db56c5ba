"""Reads for WhatsApp/SMS: status-callback routing and the pages/API lists."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Organization
from channels_app.models import ChannelConnection, TwilioAccount, TwilioMessage


def twilio_message_for_sid(*, sid: str) -> TwilioMessage | None:
    """The message we sent with this MessageSid, with what its status callback needs to
    verify the signature (connection and Twilio account) and its organization."""
    if not sid:
        return None
    return (
        TwilioMessage.unscoped.select_related(  # tenant-bypass: MessageSid is unique platform-wide; the signature check that follows names the tenant
            "organization", "connection__twilio_account"
        )
        .filter(sid=sid)
        .first()
    )


def channel_connection_list(*, organization: Organization) -> QuerySet[ChannelConnection]:
    return organization.channelconnections.select_related("agent", "twilio_account").order_by("kind", "address")


def twilio_account_list(*, organization: Organization) -> QuerySet[TwilioAccount]:
    return organization.twilioaccounts.order_by("name", "created_at")
