"""Twilio Voice webhooks: incoming call TwiML, relay action, status callback, Gather fallback,
and the BackOffice call pages. Live ConversationRelay sockets are in test_voice_relay.py."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from agents.models import Message
from billing.models import Wallet
from channels_app.models import ChannelConnection, TwilioAccount
from channels_app.voice.models import Call
from channels_app.voice.relay_tokens import relay_token_sign, relay_token_verify
from tests.agents.factories import fake_llm_agent
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.django_db

VOICE_PATH = "/webhooks/twilio/voice/"
ACTION_PATH = "/webhooks/twilio/voice/relay-action/"
STATUS_PATH = "/webhooks/twilio/voice/status/"
GATHER_PATH = "/webhooks/twilio/voice/gather/"
HANDOFF_NUMBER = "+34911222333"
VOICE_SETTINGS = {
    "tts_provider": "ElevenLabs",
    "voice": "UgBBYS2sOqTuMpoF3BR0",
    "transcription_provider": "Deepgram",
    "interruptible": "any",
    "languages": [{"code": "en-US", "tts_provider": "Google", "voice": "en-US-Journey-O"}],
}


# --- helpers shared with test_voice_relay.py ----------------------------------------------


def account_sid_for(organization) -> str:
    return "AC" + str(organization.pk).rjust(32, "0")[-32:]


def auth_token_for(organization) -> str:
    return ("tok" + str(organization.pk))[:32].ljust(32, "x")


def voice_line(
    organization,
    llm_base_url: str,
    *,
    number: str = "+34910000001",
    connection_settings: dict[str, Any] | None = None,
    **agent_fields: Any,
) -> ChannelConnection:
    """A published agent on a Twilio voice number of the organization's own Twilio account."""
    account = TwilioAccount.unscoped.create(
        organization=organization, account_sid=account_sid_for(organization), auth_token=auth_token_for(organization)
    )
    agent_fields.setdefault("greeting", "¡Hola! Café Sol, ¿en qué puedo ayudarle?")
    agent = fake_llm_agent(organization, llm_base_url, **agent_fields)
    return ChannelConnection.unscoped.create(
        organization=organization,
        kind=ChannelConnection.Kind.VOICE,
        address=number,
        agent=agent,
        twilio_account=account,
        settings=connection_settings or {},
    )


def twilio_signature(url: str, params: dict[str, str], auth_token: str) -> str:
    return RequestValidator(auth_token).compute_signature(url, params)


def call_params(connection: ChannelConnection, call_sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": account_sid_for(connection.organization),
        "From": "+34600111222",
        "To": connection.address,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def relay_element(twiml: str) -> ElementTree.Element:
    relay = ElementTree.fromstring(twiml).find("./Connect/ConversationRelay")
    assert relay is not None, twiml
    return relay


def relay_parameters(twiml: str) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in relay_element(twiml).findall("Parameter")}


def canonical(xml: str) -> str:
    return ElementTree.canonicalize(xml.split("?>", 1)[-1])


# --- local helpers ---------------------------------------------------------------------------


def post_signed(path: str, params: dict[str, str], auth_token: str, *, client: Client | None = None):
    url = settings.PUBLIC_BASE_URL + path
    return (client or Client()).post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=twilio_signature(url, params, auth_token),
    )


def answer(connection: ChannelConnection, call_sid: str = "CA" + "1" * 32):
    return post_signed(VOICE_PATH, call_params(connection, call_sid), auth_token_for(connection.organization))


@pytest.fixture
def line(tenant, fake_openai) -> ChannelConnection:
    return voice_line(
        tenant.organization, fake_openai.base_url, voice=VOICE_SETTINGS, handoff_phone_number=HANDOFF_NUMBER
    )


# --- incoming call ---------------------------------------------------------------------------


def test_incoming_call_connects_conversation_relay_with_the_agents_voice(line):
    call_sid = "CA" + "1" * 32

    response = answer(line, call_sid)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    twiml = response.content.decode()
    token = relay_parameters(twiml)["session"]
    base = settings.PUBLIC_BASE_URL
    expected = VoiceResponse()
    connect = expected.connect(action=f"{base}{ACTION_PATH}", method="POST")
    relay = connect.conversation_relay(
        url="ws://" + base.removeprefix("http://") + "/ws/twilio/relay/?" + urlencode({"session": token}),
        welcome_greeting="¡Hola! Café Sol, ¿en qué puedo ayudarle?",
        welcome_greeting_interruptible="any",
        language="es-ES",
        tts_provider="ElevenLabs",
        voice="UgBBYS2sOqTuMpoF3BR0",
        transcription_provider="Deepgram",
        interruptible="any",
        dtmf_detection="true",
    )
    relay.language(code="en-US", tts_provider="Google", voice="en-US-Journey-O")
    relay.parameter(name="connection", value=str(line.pk))
    relay.parameter(name="session", value=token)
    assert canonical(twiml) == canonical(str(expected))

    # The parameters identify this call on this connection and can't be made up.
    claims = relay_token_verify(token)
    assert claims is not None
    assert (claims.connection_id, claims.call_sid) == (str(line.pk), call_sid)
    assert relay_token_verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert relay_token_verify(relay_token_sign(connection_id=str(line.pk), call_sid=call_sid)[:-1]) is None

    call = Call.unscoped.get(call_sid=call_sid)
    assert call.organization_id == line.organization_id
    assert call.status == Call.Status.RINGING
    assert call.outcome == ""
    greeting = Message.unscoped.get(conversation=call.conversation)
    assert greeting.role == Message.Role.ASSISTANT
    assert greeting.metadata["greeting"] is True
    assert call.conversation.channel == "voice"


def test_incoming_call_webhook_is_idempotent_on_twilio_retries(line):
    first = answer(line).content.decode()
    second = answer(line).content.decode()

    assert relay_element(first).get("url").split("?")[0] == relay_element(second).get("url").split("?")[0]
    assert Call.unscoped.filter(organization=line.organization).count() == 1
    assert Message.unscoped.filter(organization=line.organization).count() == 1  # one greeting


def test_incoming_call_without_valid_signature_is_forbidden(line, other_tenant):
    params = call_params(line, "CA" + "2" * 32)
    unsigned = Client().post(VOICE_PATH, urlencode(params), content_type="application/x-www-form-urlencoded")
    other_token = post_signed(VOICE_PATH, params, auth_token_for(other_tenant.organization))
    tampered = Client().post(
        VOICE_PATH,
        urlencode({**params, "From": "+34999999999"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=twilio_signature(
            settings.PUBLIC_BASE_URL + VOICE_PATH, params, auth_token_for(line.organization)
        ),
    )

    assert [unsigned.status_code, other_token.status_code, tampered.status_code] == [403, 403, 403]
    assert not Call.unscoped.exists()


def _said(twiml: str) -> tuple[str, str]:
    root = ElementTree.fromstring(twiml)
    say = root.find("Say")
    assert say is not None, twiml
    assert [child.tag for child in root] == ["Say", "Hangup"], twiml
    return say.text or "", say.get("language") or ""


@pytest.mark.parametrize("reason", ["suspended", "no_funds", "no_agent"])
def test_unavailable_agent_gets_a_spoken_apology_and_a_hang_up(tenant, fake_openai, reason):
    publish = reason != "no_agent"
    line = voice_line(tenant.organization, fake_openai.base_url, publish=publish, language="en")
    if reason == "suspended":
        tenant.organization.is_suspended = True
        tenant.organization.save()
    elif reason == "no_funds":
        Wallet.unscoped.create(organization=tenant.organization, balance=Decimal(0))

    response = answer(line)

    assert response.status_code == 200
    text, language = _said(response.content.decode())
    assert language == "en-US"
    assert text.startswith("Sorry, we can't take your call right now")
    call = Call.unscoped.get(organization=tenant.organization)
    assert (call.outcome, call.unavailable_reason) == (Call.Outcome.UNAVAILABLE, reason)
    assert call.conversation is None
    assert fake_openai.requests == []


def test_unavailable_message_of_the_connection_is_what_the_caller_hears(tenant, fake_openai):
    line = voice_line(tenant.organization, fake_openai.base_url)
    line.unavailable_message = "Estamos cerrados por vacaciones."
    line.save()
    tenant.organization.is_suspended = True
    tenant.organization.save()

    text, language = _said(answer(line).content.decode())

    assert (text, language) == ("Estamos cerrados por vacaciones.", "es-ES")


def test_unknown_number_gets_a_spanish_apology_when_signed_by_a_known_account(line):
    params = call_params(line, "CA" + "3" * 32, To="+34910999999")

    response = post_signed(VOICE_PATH, params, auth_token_for(line.organization))

    text, language = _said(response.content.decode())
    assert language == "es-ES"
    assert text.startswith("Lo sentimos")
    assert not Call.unscoped.exists()


# --- relay action callback -------------------------------------------------------------------


def _answered(line: ChannelConnection, call_sid: str = "CA" + "4" * 32) -> Call:
    assert answer(line, call_sid).status_code == 200
    return Call.unscoped.get(call_sid=call_sid)


def test_relay_action_dials_the_configured_number_not_the_one_in_handoff_data(line):
    call = _answered(line)
    call.handoff_number, call.outcome = HANDOFF_NUMBER, Call.Outcome.HANDOFF
    call.save()
    forged = json.dumps({"reason": "handoff", "number": "+19005550100"})
    params = call_params(line, call.call_sid, SessionStatus="ended", SessionDuration="42", HandoffData=forged)

    response = post_signed(ACTION_PATH, params, auth_token_for(line.organization))

    expected = VoiceResponse()
    expected.dial(HANDOFF_NUMBER)
    assert canonical(response.content.decode()) == canonical(str(expected))
    call.refresh_from_db()
    assert call.session_status == "ended"
    assert call.metadata["session_duration"] == 42


def test_relay_action_without_handoff_says_goodbye_and_hangs_up(line):
    call = _answered(line)
    params = call_params(line, call.call_sid, SessionStatus="completed", SessionDuration="30")

    response = post_signed(ACTION_PATH, params, auth_token_for(line.organization))

    expected = VoiceResponse()
    expected.say("Gracias por llamar. Hasta pronto.", language="es-ES")
    expected.hangup()
    assert canonical(response.content.decode()) == canonical(str(expected))


def test_relay_action_on_a_failed_session_apologises_and_records_the_error(line):
    call = _answered(line)
    params = call_params(line, call.call_sid, SessionStatus="failed", ErrorCode="64105", ErrorMessage="WebSocket error")

    response = post_signed(ACTION_PATH, params, auth_token_for(line.organization))

    text, _language = _said(response.content.decode())
    assert text.startswith("Lo sentimos")
    call.refresh_from_db()
    assert call.outcome == Call.Outcome.FAILED
    assert call.error == "64105 WebSocket error"


def test_relay_action_unsigned_is_forbidden(line):
    call = _answered(line)
    params = call_params(line, call.call_sid, SessionStatus="ended", HandoffData='{"reason": "handoff"}')

    response = Client().post(ACTION_PATH, urlencode(params), content_type="application/x-www-form-urlencoded")

    assert response.status_code == 403


# --- status callback -------------------------------------------------------------------------


def test_status_callback_records_duration_and_outcome_once(line):
    call = _answered(line)
    params = call_params(line, call.call_sid, CallStatus="completed", CallDuration="73")

    first = post_signed(STATUS_PATH, params, auth_token_for(line.organization))
    late = post_signed(STATUS_PATH, {**params, "CallStatus": "in-progress"}, auth_token_for(line.organization))

    assert (first.status_code, late.status_code) == (204, 204)
    call.refresh_from_db()
    assert (call.status, call.duration_seconds, call.outcome) == ("completed", 73, Call.Outcome.COMPLETED)
    assert call.ended_at is not None
    assert call.conversation.status == "closed"


def test_status_callback_keeps_a_handoff_outcome_and_counts_failed_calls(line):
    handed = _answered(line, "CA" + "5" * 32)
    handed.outcome = Call.Outcome.HANDOFF
    handed.save()
    failed = _answered(line, "CA" + "6" * 32)
    token = auth_token_for(line.organization)

    post_signed(STATUS_PATH, call_params(line, handed.call_sid, CallStatus="completed", CallDuration="120"), token)
    post_signed(STATUS_PATH, call_params(line, failed.call_sid, CallStatus="no-answer", CallDuration="0"), token)

    handed.refresh_from_db()
    failed.refresh_from_db()
    assert (handed.outcome, handed.duration_seconds) == (Call.Outcome.HANDOFF, 120)
    assert (failed.status, failed.outcome) == ("no-answer", Call.Outcome.FAILED)


def test_callbacks_about_another_tenants_call_need_that_tenants_signature(line, other_tenant, fake_openai):
    victim_line = voice_line(other_tenant.organization, fake_openai.base_url, number="+34910000002")
    victim_call = _answered(victim_line, "CA" + "7" * 32)
    attacker_token = auth_token_for(line.organization)

    status = post_signed(
        STATUS_PATH, call_params(victim_line, victim_call.call_sid, CallStatus="completed", CallDuration="1"),
        attacker_token,
    )  # fmt: skip
    action = post_signed(
        ACTION_PATH, call_params(victim_line, victim_call.call_sid, SessionStatus="ended"), attacker_token
    )

    assert (status.status_code, action.status_code) == (403, 403)
    victim_call.refresh_from_db()
    assert victim_call.status == Call.Status.RINGING
    assert victim_call.duration_seconds is None


def test_callbacks_about_a_disconnected_numbers_call_need_its_own_tenants_signature(line, other_tenant, fake_openai):
    victim_line = voice_line(other_tenant.organization, fake_openai.base_url, number="+34910000002")
    victim_call = _answered(victim_line, "CA" + "8" * 32)
    victim_call.handoff_number, victim_call.outcome = HANDOFF_NUMBER, Call.Outcome.HANDOFF
    victim_call.save()
    victim_line.delete()  # the call keeps its history, without a connection
    attacker_token = auth_token_for(line.organization)  # signs as the attacker's own AccountSid

    status = post_signed(
        STATUS_PATH, call_params(line, victim_call.call_sid, CallStatus="completed", CallDuration="1"), attacker_token
    )
    action = post_signed(ACTION_PATH, call_params(line, victim_call.call_sid, SessionStatus="ended"), attacker_token)

    assert (status.status_code, action.status_code) == (403, 403)
    assert HANDOFF_NUMBER not in action.content.decode()
    victim_call.refresh_from_db()
    assert victim_call.status == Call.Status.RINGING
    assert victim_call.duration_seconds is None


def test_incoming_call_with_another_tenants_call_sid_leaves_that_call_alone(line, other_tenant, fake_openai):
    victim_line = voice_line(other_tenant.organization, fake_openai.base_url, number="+34910000002")
    victim_call = _answered(victim_line, "CA" + "9" * 32)

    response = answer(line, victim_call.call_sid)

    assert response.status_code == 200
    assert _said(response.content.decode())[0].startswith("Lo sentimos")
    assert not Call.unscoped.filter(organization=line.organization).exists()
    assert Call.unscoped.get(call_sid=victim_call.call_sid).organization_id == other_tenant.organization.pk


def test_incoming_call_without_call_sid_is_refused_and_records_nothing(line):
    params = {key: value for key, value in call_params(line, "").items() if key != "CallSid"}

    response = post_signed(VOICE_PATH, params, auth_token_for(line.organization))

    assert response.status_code == 400
    assert not Call.unscoped.exists()


def test_callbacks_with_non_ascii_digits_in_durations_do_not_fail(line):
    call = _answered(line, "CA" + "a" * 32)
    token = auth_token_for(line.organization)

    action = post_signed(
        ACTION_PATH, call_params(line, call.call_sid, SessionStatus="ended", SessionDuration="²"), token
    )
    status = post_signed(STATUS_PATH, call_params(line, call.call_sid, CallStatus="completed", CallDuration="²"), token)

    assert (action.status_code, status.status_code) == (200, 204)
    call.refresh_from_db()
    assert (call.status, call.duration_seconds) == (Call.Status.COMPLETED, 0)
    assert "session_duration" not in call.metadata


# --- Gather fallback -------------------------------------------------------------------------


@pytest.fixture
def gather_line(tenant, fake_openai) -> ChannelConnection:
    return voice_line(
        tenant.organization,
        fake_openai.base_url,
        connection_settings={"mode": "gather"},
        handoff_phone_number=HANDOFF_NUMBER,
        tools=["handoff_to_human"],
    )


def _gather_action(twiml: str) -> tuple[str, int]:
    gather = ElementTree.fromstring(twiml).find("Gather")
    assert gather is not None, twiml
    url = urlsplit(gather.get("action"))
    return url.path + "?" + url.query, int(parse_qs(url.query)["turn"][0])


def test_gather_mode_greets_listens_and_answers_with_the_agent(gather_line, fake_openai):
    call_sid = "CA" + "8" * 32
    greeting = answer(gather_line, call_sid).content.decode()
    path, turn = _gather_action(greeting)
    base = settings.PUBLIC_BASE_URL
    expected = VoiceResponse()
    gather = expected.gather(
        input="dtmf speech", num_digits=1, action=f"{base}{GATHER_PATH}?turn=1", method="POST",
        language="es-ES", speech_timeout="auto",
    )  # fmt: skip
    gather.say("¡Hola! Café Sol, ¿en qué puedo ayudarle?", language="es-ES")
    expected.say("Gracias por llamar. Hasta pronto.", language="es-ES")
    expected.hangup()
    assert canonical(greeting) == canonical(str(expected))

    fake_openai.queue("Abrimos de ocho a ocho.")
    params = call_params(gather_line, call_sid, SpeechResult="¿A qué hora abrís?", Confidence="0.9")
    reply = post_signed(path, params, auth_token_for(gather_line.organization))

    root = ElementTree.fromstring(reply.content.decode())
    assert root.find("./Gather/Say").text == "Abrimos de ocho a ocho."
    assert _gather_action(reply.content.decode())[1] == turn + 1
    assert fake_openai.last_request["json"]["messages"][-1] == {"role": "user", "content": "¿A qué hora abrís?"}
    answer_message = Message.unscoped.get(role="assistant", content="Abrimos de ocho a ocho.")
    assert answer_message.reply_sent_at is not None
    assert answer_message.first_token_at is not None

    # Twilio retrying the same turn gets the same answer without another model call.
    again = post_signed(path, params, auth_token_for(gather_line.organization))
    assert ElementTree.fromstring(again.content.decode()).find("./Gather/Say").text == "Abrimos de ocho a ocho."
    assert len(fake_openai.requests) == 1


def test_gather_mode_handoff_by_keypad_and_by_the_model_dials_a_person(gather_line, fake_openai):
    token = auth_token_for(gather_line.organization)
    keypad_sid, model_sid = "CA" + "9" * 32, "CA" + "a" * 32
    path, _turn = _gather_action(answer(gather_line, keypad_sid).content.decode())
    answer(gather_line, model_sid)

    keypad = post_signed(path, call_params(gather_line, keypad_sid, Digits="0"), token)
    fake_openai.queue(FakeOpenAI.tool_call("handoff_to_human", {"reason": "quiere hablar con alguien"}))
    fake_openai.queue("Le paso con un compañero.")
    model = post_signed(path, call_params(gather_line, model_sid, SpeechResult="Quiero hablar con una persona"), token)

    for response in (keypad, model):
        root = ElementTree.fromstring(response.content.decode())
        assert root.find("Dial").text == HANDOFF_NUMBER
    assert ElementTree.fromstring(model.content.decode()).find("Say").text == "Le paso con un compañero."
    calls = {c.call_sid: c for c in Call.unscoped.filter(organization=gather_line.organization)}
    assert (calls[keypad_sid].outcome, calls[keypad_sid].handoff_source) == ("handoff", "dtmf")
    assert (calls[model_sid].handoff_source, calls[model_sid].handoff_reason) == ("agent", "quiere hablar con alguien")


def test_gather_unsigned_is_forbidden_and_runs_no_model(gather_line, fake_openai):
    call_sid = "CA" + "b" * 32
    path, _turn = _gather_action(answer(gather_line, call_sid).content.decode())
    params = call_params(gather_line, call_sid, SpeechResult="hola")

    response = Client().post(path, urlencode(params), content_type="application/x-www-form-urlencoded")

    assert response.status_code == 403
    assert fake_openai.requests == []


# --- BackOffice ------------------------------------------------------------------------------


def test_call_pages_list_and_show_only_own_calls(line, tenant, other_tenant, fake_openai):
    own = _answered(line, "CA" + "c" * 32)
    other_line = voice_line(other_tenant.organization, fake_openai.base_url, number="+34910000003")
    foreign = _answered(other_line, "CA" + "d" * 32)
    browser = Client()
    browser.force_login(tenant.owner)

    listing = browser.get("/app/calls/")
    detail = browser.get(f"/app/calls/{own.pk}/")

    assert listing.status_code == 200
    assert f"/app/calls/{own.pk}/" in listing.content.decode()
    assert str(foreign.pk) not in listing.content.decode()
    assert detail.status_code == 200
    assert "Café Sol" in detail.content.decode()


def test_another_tenants_call_is_not_found(line, tenant, other_tenant, fake_openai):
    other_line = voice_line(other_tenant.organization, fake_openai.base_url, number="+34910000003")
    foreign = _answered(other_line, "CA" + "d" * 32)
    browser = Client(raise_request_exception=False)
    browser.force_login(tenant.owner)

    foreign_detail = browser.get(f"/app/calls/{foreign.pk}/")
    malformed = browser.get("/app/calls/not-an-id/")

    assert (foreign_detail.status_code, malformed.status_code) == (404, 404)
    assert other_line.address not in foreign_detail.content.decode()
