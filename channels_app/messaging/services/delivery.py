"""Outbound delivery through Twilio: queue parts, send them once, track their status."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from accounts.models import Organization
from agents.models import Contact, Conversation, Message
from agents.services.conversations import message_mark_sent
from channels_app.models import ChannelConnection, TwilioMessage
from channels_app.twilio.addresses import WHATSAPP_PREFIX
from channels_app.twilio.client import TwilioSendError, credentials_for, send_message
from channels_app.twilio.public_urls import messaging_status_callback_url

logger = logging.getLogger(__name__)

Status = TwilioMessage.Status

# How far along a message is. Statuses only move to a higher rank; failures are final.
STATUS_RANK: dict[str, int] = {
    Status.PENDING: 0,
    Status.SUBMITTING: 1,
    Status.ACCEPTED: 2,
    Status.SCHEDULED: 2,
    Status.QUEUED: 3,
    Status.SENDING: 4,
    Status.SENT: 5,
    Status.DELIVERED: 6,
    Status.UNDELIVERED: 6,
    Status.FAILED: 6,
    Status.CANCELED: 6,
    Status.READ: 7,
}
FAILURES = frozenset({Status.UNDELIVERED, Status.FAILED, Status.CANCELED})
TWILIO_UNSUBSCRIBED = "21610"  # "Attempt to send to unsubscribed recipient"


class DeliveryRetryError(Exception):
    """Twilio did not take a part, for a reason worth trying again later."""


def recipient_address(*, connection: ChannelConnection, contact: Contact) -> str:
    if connection.kind == ChannelConnection.Kind.WHATSAPP:
        return f"{WHATSAPP_PREFIX}{contact.external_id}"
    return contact.external_id


def reply_queue(
    *,
    organization: Organization,
    connection: ChannelConnection,
    reply: Message,
    to: str,
    bodies: list[str] | None = None,
    content_sid: str = "",
) -> list[TwilioMessage]:
    """Write the parts of `reply` to send (free-form `bodies`, or one template message).
    Idempotent: a part already written is kept as it is."""
    specs = [{"content_sid": content_sid}] if content_sid else [{"body": body} for body in bodies or []]
    parts = []
    for index, spec in enumerate(specs):
        try:
            part = TwilioMessage.unscoped.create(  # tenant-bypass: organization set explicitly
                organization=organization, connection=connection, message=reply, part=index, to=to, **spec
            )
        except IntegrityError:
            part = TwilioMessage.unscoped.get(message=reply, part=index)  # tenant-bypass: reply is the org's
        parts.append(part)
    _refresh_delivery_status(reply)
    return parts


def reply_deliver(*, organization: Organization, reply: Message) -> None:
    """Send every pending part of `reply`, in order, each at most once.

    A part is claimed (pending → submitting) before the HTTP call, so two runs never both
    send it. Records each part's MessageSid and status and the reply's `reply_sent_at`
    when Twilio accepted its first part. Raises DeliveryRetryError when Twilio was unavailable
    (the part goes back to pending for the retry); a permanent error fails that part and
    the parts after it. An unsubscribed-recipient error opts the contact out.
    """
    parts = list(
        TwilioMessage.unscoped.select_related("connection__twilio_account")  # tenant-bypass: organization filter
        .filter(organization=organization, message=reply)
        .order_by("part")
    )
    try:
        for index, part in enumerate(parts):
            if part.status != Status.PENDING or not _claim(part):
                continue
            try:
                resource = _send(part)
            except TwilioSendError as exc:
                if exc.retryable:
                    _release(part)
                    raise DeliveryRetryError(str(exc)) from exc
                logger.warning("Twilio refused part %s of reply %s: %s", part.part, reply.pk, exc.code)
                _fail(part, code=exc.code, message=exc.message)
                for later in parts[index + 1 :]:
                    if _claim(later):
                        _fail(later, code="skipped", message="Not sent: an earlier part failed.")
                if exc.code == TWILIO_UNSUBSCRIBED:
                    _opt_out_contact(reply)
                break
            _accepted(organization, reply, part, sid=resource.sid, status=resource.status)
    finally:
        _refresh_delivery_status(reply)


def _claim(part: TwilioMessage) -> bool:
    claimed = TwilioMessage.unscoped.filter(  # tenant-bypass: part was loaded from the organization; the filter makes this a compare-and-set
        pk=part.pk, status=Status.PENDING
    ).update(status=Status.SUBMITTING)
    if claimed:
        part.status = Status.SUBMITTING
    return bool(claimed)


def _release(part: TwilioMessage) -> None:
    TwilioMessage.unscoped.filter(  # tenant-bypass: part of this organization, loaded through its scope
        pk=part.pk, status=Status.SUBMITTING
    ).update(status=Status.PENDING)
    part.status = Status.PENDING


def _send(part: TwilioMessage) -> Any:
    connection = part.connection
    credentials = credentials_for(connection.twilio_account) if connection is not None else None
    if connection is None or credentials is None:
        raise TwilioSendError(code="no_credentials", message="No Twilio account for this channel.", retryable=False)
    params: dict[str, str] = {
        "to": part.to,
        "from_": connection.twilio_address,
        "status_callback": messaging_status_callback_url(),
    }
    if credentials.messaging_service_sid:
        params["messaging_service_sid"] = credentials.messaging_service_sid
    if part.content_sid:
        params["content_sid"] = part.content_sid
    else:
        params["body"] = part.body
    return send_message(credentials, **params)


def _accepted(organization: Organization, reply: Message, part: TwilioMessage, *, sid: str, status: str) -> None:
    now = timezone.now()
    status = status if status in STATUS_RANK else Status.QUEUED
    TwilioMessage.unscoped.filter(  # tenant-bypass: claimed part of this organization
        pk=part.pk
    ).update(sid=sid, status=status, sent_at=now, updated_at=now)
    part.sid, part.status, part.sent_at = sid, status, now
    if reply.reply_sent_at is None:
        message_mark_sent(organization=organization, message=reply, at=now, external_id=sid)


def _fail(part: TwilioMessage, *, code: str, message: str) -> None:
    TwilioMessage.unscoped.filter(pk=part.pk).update(  # tenant-bypass: claimed part of this organization
        status=Status.FAILED, error_code=code[:10], error_message=message[:255], updated_at=timezone.now()
    )
    part.status, part.error_code, part.error_message = Status.FAILED, code[:10], message[:255]


def _opt_out_contact(reply: Message) -> None:
    """Twilio says the recipient unsubscribed (carrier-level STOP): stop replying to them."""
    contact_id = (
        Conversation.unscoped.filter(  # tenant-bypass: the reply's own conversation and contact
            pk=reply.conversation_id
        )
        .values_list("contact_id", flat=True)
        .first()
    )
    if contact_id is not None:
        Contact.unscoped.filter(pk=contact_id).update(opted_out=True)  # tenant-bypass: as above


def twilio_message_status_update(
    *,
    organization: Organization,
    twilio_message: TwilioMessage,
    status: str,
    error_code: str = "",
    error_message: str = "",
) -> bool:
    """Apply a Twilio status callback. Statuses only move forward (a late "sent" never
    replaces "delivered"; a failure is final); unknown statuses are ignored. Returns
    whether anything changed. Safe to call for every Twilio retry of a callback."""
    if status not in STATUS_RANK or STATUS_RANK[status] <= STATUS_RANK[Status.SUBMITTING]:
        return False
    earlier = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status] and s not in FAILURES]
    changes: dict[str, object] = {"status": status, "updated_at": timezone.now()}
    if status in FAILURES:
        changes.update(error_code=error_code[:10], error_message=error_message[:255])
    updated = TwilioMessage.unscoped.filter(  # tenant-bypass: organization filter; compare-and-set on status
        organization=organization, pk=twilio_message.pk, status__in=earlier
    ).update(**changes)
    if not updated:
        return False
    reply = Message.unscoped.filter(  # tenant-bypass: part of this organization, loaded through its scope
        organization=organization, pk=twilio_message.message_id
    ).first()
    if reply is not None:
        _refresh_delivery_status(reply)
    return True


def _refresh_delivery_status(reply: Message) -> None:
    """The reply's delivery status: the first failure if any part failed, else the least
    advanced part (a split reply is delivered when all its parts are)."""
    parts = list(TwilioMessage.unscoped.filter(message=reply).order_by("part"))  # tenant-bypass: reply's parts
    if not parts:
        return
    failed = next((part for part in parts if part.status in FAILURES), None)
    if failed is not None:
        status = failed.status
        error = ": ".join(filter(None, [failed.error_code, failed.error_message]))[:255] or failed.status
    else:
        status = min((part.status for part in parts), key=lambda value: STATUS_RANK[value])
        error = ""
    if status == Status.SUBMITTING:
        status = Status.PENDING
    reply.delivery_status, reply.delivery_error = status, error
    Message.unscoped.filter(pk=reply.pk).update(delivery_status=status, delivery_error=error)  # tenant-bypass: own row
