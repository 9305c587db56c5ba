"""Celery entry points for WhatsApp/SMS: thin wrappers around the messaging services."""

from __future__ import annotations

from accounts.models import Organization
from channels_app.messaging.services.delivery import DeliveryRetryError, reply_deliver
from channels_app.messaging.services.replies import inbound_message_process
from myagent.celery import app
from myagent.lookups import parse_object_id
from myagent.tasks import TenantTask

DELIVERY_RETRY_SECONDS = 5


@app.task(name="channels_app.messaging.process_inbound_message", max_retries=0, base=TenantTask)
def process_inbound_message(*, organization: Organization, message_id: str, connection_id: str) -> None:
    """Answer one stored inbound message and make the first delivery attempt.

    Not retried: the message is claimed before any work, so a second run would do nothing
    anyway. A delivery Twilio could not take right now moves to `deliver_reply`, which is.
    """
    reply = inbound_message_process(organization=organization, message_id=message_id, connection_id=connection_id)
    if reply is None:
        return
    try:
        reply_deliver(organization=organization, reply=reply)
    except DeliveryRetryError:
        deliver_reply.apply_async(
            kwargs={"organization_id": str(organization.pk), "reply_id": str(reply.pk)},
            countdown=DELIVERY_RETRY_SECONDS,
        )


@app.task(
    name="channels_app.messaging.deliver_reply",
    autoretry_for=(DeliveryRetryError,),
    max_retries=5,
    retry_backoff=DELIVERY_RETRY_SECONDS,
    retry_jitter=True,
    base=TenantTask,
)
def deliver_reply(*, organization: Organization, reply_id: str) -> None:
    """Send the parts of a reply that are still pending. Idempotent: sent parts are skipped."""
    reply = organization.messages.filter(pk=parse_object_id(reply_id)).first()
    if reply is not None:
        reply_deliver(organization=organization, reply=reply)
