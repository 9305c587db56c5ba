"""Twilio messaging webhooks: verify, look up, store, enqueue, answer. Nothing slow here."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_app.messaging.payloads import InboundMessage
from channels_app.messaging.selectors import twilio_message_for_sid
from channels_app.messaging.services.delivery import twilio_message_status_update
from channels_app.messaging.services.inbound import inbound_message_accept
from channels_app.twilio.selectors import connection_for_inbound
from channels_app.twilio.signatures import connection_request_valid, request_is_signed, unrouted_request_valid

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def empty_twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def inbound_message_webhook(request: HttpRequest) -> HttpResponse:
    """Twilio's "A message comes in" webhook for WhatsApp and SMS numbers.

    Unsigned or bad signature → 403, nothing stored. Unknown number (checked against the
    tokens of the AccountSid it names and the platform token) or inactive connection →
    200 empty TwiML, nothing stored, logged. Otherwise the message is stored once per
    MessageSid and the reply is left to a task.
    """
    if not request_is_signed(request):
        return HttpResponseForbidden()
    inbound = InboundMessage.from_post(request.POST)
    connection = connection_for_inbound(kind=inbound.kind, address=inbound.recipient)
    if connection is None:
        if not unrouted_request_valid(request=request):
            return HttpResponseForbidden()
        logger.warning("Twilio message %s to unknown %s number %s", inbound.sid, inbound.kind, inbound.recipient)
        return empty_twiml()
    if not connection_request_valid(request=request, connection=connection):
        logger.warning("Twilio message %s to %s: invalid signature", inbound.sid, connection.address)
        return HttpResponseForbidden()
    if not connection.is_active:
        logger.info("Twilio message %s to inactive connection %s: ignored", inbound.sid, connection.pk)
        return empty_twiml()
    if not inbound.sid or not inbound.sender:
        return HttpResponseBadRequest("MessageSid and From are required.")
    inbound_message_accept(organization=connection.organization, connection=connection, inbound=inbound)
    return empty_twiml()


@csrf_exempt
@require_POST
def message_status_webhook(request: HttpRequest) -> HttpResponse:
    """Twilio's StatusCallback for messages we sent: moves their delivery status forward.
    Unsigned or bad signature → 403; unknown MessageSid → 200, nothing changed."""
    if not request_is_signed(request):
        return HttpResponseForbidden()
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    twilio_message = twilio_message_for_sid(sid=sid)
    if twilio_message is None or twilio_message.connection is None:
        # Also a callback that beat us to storing the MessageSid; the next one will land.
        if not unrouted_request_valid(request=request):
            return HttpResponseForbidden()
        logger.info("Twilio status for unknown message %s: ignored", sid)
        return HttpResponse(status=200)
    if not connection_request_valid(request=request, connection=twilio_message.connection):
        logger.warning("Twilio status for %s: invalid signature", sid)
        return HttpResponseForbidden()
    twilio_message_status_update(
        organization=twilio_message.organization,
        twilio_message=twilio_message,
        status=request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "",
        error_code=request.POST.get("ErrorCode", ""),
        error_message=request.POST.get("ErrorMessage", ""),
    )
    return HttpResponse(status=200)
