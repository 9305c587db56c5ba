"""Twilio Voice webhooks. Each checks Twilio's signature (403 otherwise), calls one
service and answers TwiML."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_app.models import ChannelConnection
from channels_app.twilio.selectors import connection_for_inbound
from channels_app.twilio.signatures import connection_request_valid, unrouted_request_valid
from channels_app.twilio.twiml import hangup_twiml
from channels_app.voice.models import Call
from channels_app.voice.selectors import call_for_sid
from channels_app.voice.services.calls import call_answer, call_relay_ended, call_status_update
from channels_app.voice.services.gather import call_gather_reply


def _twiml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


def _signed_call(request: HttpRequest) -> tuple[bool, Call | None]:
    """(signed, call) for a callback about a call; call is None if we never recorded it.

    Signed means the signature matches the call's connection's auth token (or, for calls
    we don't know, a token of the account the request names, or the platform's; for a
    known call whose number was disconnected, only its own organization's accounts count).
    """
    call = call_for_sid(call_sid=request.POST.get("CallSid", ""))
    if call is not None and call.connection is not None:
        return connection_request_valid(request=request, connection=call.connection), call
    return unrouted_request_valid(request=request, organization=call.organization if call else None), call


@csrf_exempt
@require_POST
def incoming_call_webhook(request: HttpRequest) -> HttpResponse:
    connection = connection_for_inbound(kind=ChannelConnection.Kind.VOICE, address=request.POST.get("To", ""))
    signed = (
        connection_request_valid(request=request, connection=connection)
        if connection is not None
        else unrouted_request_valid(request=request)
    )
    if not signed:
        return HttpResponseForbidden()
    if connection is not None and not connection.is_active:
        connection = None  # a paused number is answered like an unknown one: apology, hang up
    call_sid = request.POST.get("CallSid", "")
    if not call_sid:  # every call would share one row keyed on ""
        return HttpResponseBadRequest("CallSid is required.")
    twiml = call_answer(
        connection=connection,
        call_sid=call_sid,
        from_number=request.POST.get("From", ""),
        to_number=request.POST.get("To", ""),
    )
    return _twiml(twiml)


@csrf_exempt
@require_POST
def relay_action_webhook(request: HttpRequest) -> HttpResponse:
    """<Connect action=…>: the relay session ended (hand-off, hang-up or failure)."""
    signed, call = _signed_call(request)
    if not signed:
        return HttpResponseForbidden()
    if call is None:
        return _twiml(hangup_twiml())
    twiml = call_relay_ended(
        organization=call.organization,
        call=call,
        session_status=request.POST.get("SessionStatus", ""),
        session_duration=request.POST.get("SessionDuration", ""),
        handoff_data_raw=request.POST.get("HandoffData", ""),
        error=" ".join(filter(None, [request.POST.get("ErrorCode", ""), request.POST.get("ErrorMessage", "")])),
    )
    return _twiml(twiml)


@csrf_exempt
@require_POST
def call_status_webhook(request: HttpRequest) -> HttpResponse:
    """The phone number's status callback: final status and billable duration."""
    signed, call = _signed_call(request)
    if not signed:
        return HttpResponseForbidden()
    if call is not None:
        call_status_update(
            organization=call.organization,
            call=call,
            status=request.POST.get("CallStatus", ""),
            duration=request.POST.get("CallDuration", ""),
            error=request.POST.get("ErrorMessage", ""),
        )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
async def gather_webhook(request: HttpRequest) -> HttpResponse:
    """<Gather> action (fallback without ConversationRelay): run the agent on the transcript.
    Async, so waiting for the model holds no thread."""
    received_at = timezone.now()
    signed, call = await sync_to_async(_signed_call)(request)
    if not signed:
        return HttpResponseForbidden()
    if call is None:
        return _twiml(hangup_twiml())
    turn = request.GET.get("turn", "1")
    twiml = await call_gather_reply(
        organization=call.organization,
        call=call,
        speech=request.POST.get("SpeechResult", ""),
        digits=request.POST.get("Digits", ""),
        turn=int(turn) if turn.isdecimal() else 1,
        received_at=received_at,
    )
    return _twiml(twiml)
