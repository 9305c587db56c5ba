"""The webhook's write: store an inbound message once per MessageSid, then enqueue the reply."""

from __future__ import annotations

import logging

from django.utils import timezone

from accounts.models import Organization
from agents.models import Message
from agents.services.conversations import contact_get_or_create, conversation_open, message_receive
from channels_app.messaging.payloads import InboundMessage
from channels_app.messaging.tasks import process_inbound_message
from channels_app.models import ChannelConnection

logger = logging.getLogger(__name__)


def inbound_message_accept(
    *, organization: Organization, connection: ChannelConnection, inbound: InboundMessage
) -> Message | None:
    """Store an inbound WhatsApp/SMS message and enqueue its processing.

    Idempotent on `inbound.sid`: the partial unique index on Message.external_id lets
    exactly one of any number of concurrent Twilio retries insert the row. A retry of a
    message that was stored but never picked up by a worker (the enqueue was lost) is
    enqueued again; the task's claim keeps that to one reply. Returns the stored
    message, or None when it was a retry. Called only after the signature was verified.
    """
    received_at = timezone.now()
    existing = _already_stored(organization, inbound.sid)
    if existing is not None:
        _enqueue_if_unclaimed(organization, connection, existing)
        return None
    contact = contact_get_or_create(
        organization=organization,
        channel=connection.kind,
        external_id=inbound.sender,
        display_name=inbound.profile_name,
    )
    conversation = conversation_open(
        organization=organization,
        agent=connection.agent,
        channel=connection.kind,
        contact=contact,
        metadata={"connection_id": str(connection.pk)},
    )
    message = message_receive(
        organization=organization,
        conversation=conversation,
        text=inbound.body,
        external_id=inbound.sid,
        received_at=received_at,
        media=inbound.media,
        metadata=inbound.metadata(),
    )
    if message is None:  # a concurrent retry inserted it first
        existing = _already_stored(organization, inbound.sid)
        if existing is not None:
            _enqueue_if_unclaimed(organization, connection, existing)
        return None
    _enqueue(organization, connection, message)
    return message


def _already_stored(organization: Organization, sid: str) -> Message | None:
    return Message.unscoped.filter(  # tenant-bypass: organization in the filter
        organization=organization, external_id=sid
    ).first()


def _enqueue_if_unclaimed(organization: Organization, connection: ChannelConnection, message: Message) -> None:
    if message.processing_started_at is None:
        logger.info("Twilio retry of unprocessed message %s: enqueued again", message.external_id)
        _enqueue(organization, connection, message)


def _enqueue(organization: Organization, connection: ChannelConnection, message: Message) -> None:
    process_inbound_message.delay(
        organization_id=str(organization.pk), message_id=str(message.pk), connection_id=str(connection.pk)
    )
