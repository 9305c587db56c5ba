"""The inbound WhatsApp/SMS webhook, end to end in-process: signed request → stored
message → task (run inline) → LLM (fake) → Twilio REST (fake)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agents.models import Contact, Message
from channels_app.models import ChannelConnection, TwilioMessage
from tests.agents.factories import fake_llm_agent
from tests.channels_app.factories import (
    INBOUND_PATH,
    auth_token_of,
    channel_connection,
    eager_tasks,
    inbound_params,
    new_message_sid,
    signed_post,
    twilio_account,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_inline():
    with eager_tasks():
        yield


@pytest.fixture
def whatsapp(tenant, fake_openai, fake_twilio):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
    account = twilio_account(tenant.organization)
    return channel_connection(tenant.organization, agent=agent, twilio_account=account)


def post(connection: ChannelConnection, client: Client | None = None, **params):
    return signed_post(
        client or Client(), INBOUND_PATH, inbound_params(connection, **params), auth_token=auth_token_of(connection)
    )


def inbound_messages(organization):
    return list(Message.unscoped.filter(organization=organization, role=Message.Role.USER).order_by("created_at"))


def replies(organization):
    return list(Message.unscoped.filter(organization=organization, role=Message.Role.ASSISTANT).order_by("created_at"))


def test_whatsapp_message_is_answered_by_the_agent_through_twilio(tenant, whatsapp, fake_openai, fake_twilio, settings):
    fake_openai.queue("Abrimos de 8 a 20.")

    response = post(whatsapp, body="¿A qué hora abrís?", sender="+34600111222")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")
    [sent] = fake_twilio.messages
    assert sent["To"] == "whatsapp:+34600111222"
    assert sent["From"] == whatsapp.twilio_address
    assert sent["Body"] == "Abrimos de 8 a 20."
    assert sent["StatusCallback"] == settings.PUBLIC_BASE_URL + "/webhooks/twilio/messaging/status/"
    assert sent["account_sid"] == whatsapp.twilio_account.account_sid
    assert fake_openai.last_request["json"]["messages"][-1] == {"role": "user", "content": "¿A qué hora abrís?"}

    [inbound] = inbound_messages(tenant.organization)
    assert inbound.content == "¿A qué hora abrís?"
    assert inbound.metadata["outcome"] == "agent_reply"
    assert inbound.received_at <= inbound.processing_started_at
    assert inbound.conversation.channel == "whatsapp"
    contact = inbound.conversation.contact
    assert (contact.external_id, contact.display_name) == ("+34600111222", "Lucía")

    [reply] = replies(tenant.organization)
    assert reply.content == "Abrimos de 8 a 20."
    assert reply.external_id == sent["sid"]
    assert reply.delivery_status == "queued"
    stages = [
        reply.received_at,
        reply.processing_started_at,
        reply.llm_request_at,
        reply.first_token_at,
        reply.llm_done_at,
        reply.reply_sent_at,
    ]
    assert all(stages)
    assert stages == sorted(stages)
    assert reply.received_at == inbound.received_at


def test_sms_on_the_platform_twilio_account(tenant, fake_openai, fake_twilio, settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "platform-token-0123456789"
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
    sms = channel_connection(tenant.organization, agent=agent, kind=ChannelConnection.Kind.SMS)
    fake_openai.queue("Sí, tenemos mesa.")

    assert post(sms, body="¿Mesa para 2?", sender="+34600999888").status_code == 200

    [sent] = fake_twilio.messages
    assert (sent["To"], sent["From"], sent["Body"]) == ("+34600999888", sms.address, "Sí, tenemos mesa.")
    assert sent["account_sid"] == settings.TWILIO_ACCOUNT_SID
    assert inbound_messages(tenant.organization)[0].conversation.channel == "sms"


def test_unsigned_request_is_refused_without_side_effects(tenant, whatsapp, fake_twilio):
    response = Client().post(INBOUND_PATH, inbound_params(whatsapp))

    assert response.status_code == 403
    assert inbound_messages(tenant.organization) == []
    assert not Contact.unscoped.filter(organization=tenant.organization).exists()
    assert fake_twilio.messages == []


@pytest.mark.parametrize("tampering", ["body", "token", "url"])
def test_tampered_request_is_refused_without_side_effects(tenant, other_tenant, whatsapp, fake_twilio, tampering):
    params = inbound_params(whatsapp, body="Hola")
    token, signed, base = auth_token_of(whatsapp), dict(params), None
    if tampering == "body":
        signed["Body"] = "something else"
    elif tampering == "token":  # another organization's valid token
        token = str(twilio_account(other_tenant.organization).auth_token)
    else:  # signed for another public URL than PUBLIC_BASE_URL
        base = "https://attacker.example"

    response = signed_post(Client(), INBOUND_PATH, params, auth_token=token, signed_params=signed, base_url=base)

    assert response.status_code == 403
    assert inbound_messages(tenant.organization) == []
    assert fake_twilio.messages == []


def test_public_base_url_is_the_signed_url_behind_a_proxy(tenant, whatsapp, fake_twilio, settings):
    settings.PUBLIC_BASE_URL = "https://agents.example.com"

    response = post(whatsapp, body="hola")

    assert response.status_code == 200
    assert len(inbound_messages(tenant.organization)) == 1
    assert fake_twilio.messages[0]["StatusCallback"] == "https://agents.example.com/webhooks/twilio/messaging/status/"


def test_unknown_number_is_acknowledged_and_ignored(tenant, whatsapp, fake_openai, fake_twilio):
    params = inbound_params(whatsapp, To="whatsapp:+15550009999")

    response = signed_post(Client(), INBOUND_PATH, params, auth_token=auth_token_of(whatsapp))

    assert response.status_code == 200
    assert response.content.decode().endswith("<Response/>")
    assert inbound_messages(tenant.organization) == []
    assert fake_openai.requests == []
    assert fake_twilio.messages == []


def test_unknown_number_with_a_signature_no_account_matches_is_refused(tenant, whatsapp):
    params = inbound_params(whatsapp, To="whatsapp:+15550009999")

    response = signed_post(Client(), INBOUND_PATH, params, auth_token="not-anyones-token-123456")

    assert response.status_code == 403


def test_inactive_connection_stores_nothing(tenant, whatsapp, fake_openai, fake_twilio):
    ChannelConnection.unscoped.filter(pk=whatsapp.pk).update(is_active=False)

    response = post(whatsapp)

    assert response.status_code == 200
    assert inbound_messages(tenant.organization) == []
    assert fake_openai.requests == []
    assert fake_twilio.messages == []


def test_twilio_retries_of_one_message_sid_are_processed_once(tenant, whatsapp, fake_openai, fake_twilio):
    sid = new_message_sid()
    responses = [post(whatsapp, sid=sid, body="hola") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len(inbound_messages(tenant.organization)) == 1
    assert len(replies(tenant.organization)) == 1
    assert len(fake_twilio.messages) == 1
    assert len(fake_openai.requests) == 1


def test_concurrent_retries_of_one_message_sid_give_exactly_one_reply(tenant, whatsapp, fake_openai, fake_twilio):
    sid = new_message_sid()
    params = inbound_params(whatsapp, sid=sid, body="¿Hay sitio?")
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def deliver() -> None:
        client = Client()
        barrier.wait()
        statuses.append(signed_post(client, INBOUND_PATH, params, auth_token=auth_token_of(whatsapp)).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [200] * 8
    assert len(inbound_messages(tenant.organization)) == 1
    assert len(replies(tenant.organization)) == 1
    assert len(fake_twilio.messages) == 1
    assert len(fake_openai.requests) == 1


def test_long_sms_reply_is_split_on_sentence_boundaries(tenant, fake_openai, fake_twilio):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url, max_output_tokens=4000)
    sms = channel_connection(
        tenant.organization, agent=agent, kind="sms", twilio_account=twilio_account(tenant.organization)
    )
    sentence = "Nuestro menú del día incluye primero, segundo, postre y bebida por quince euros. "
    long_reply = (sentence * 45).strip()  # ~3600 characters
    fake_openai.queue(long_reply)

    post(sms, body="¿Qué hay de menú?")

    bodies = [m["Body"] for m in fake_twilio.messages]
    assert len(bodies) == 3
    assert all(len(body) <= 1600 for body in bodies)
    assert all(body.endswith("euros.") for body in bodies)
    assert " ".join(bodies) == long_reply
    [reply] = replies(tenant.organization)
    assert reply.content == long_reply  # the conversation keeps one message
    assert reply.external_id == fake_twilio.messages[0]["sid"]
    assert TwilioMessage.unscoped.filter(message=reply).count() == 3


def test_media_only_message_is_acknowledged_without_the_llm(tenant, whatsapp, fake_openai, fake_twilio):
    media_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"

    post(whatsapp, body="", NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/jpeg", MessageType="image")

    assert fake_openai.requests == []
    [sent] = fake_twilio.messages
    assert sent["Body"].startswith("¡Gracias! He recibido tu archivo")
    [inbound] = inbound_messages(tenant.organization)
    assert inbound.media == [{"url": media_url, "content_type": "image/jpeg"}]
    assert inbound.metadata["outcome"] == "media_acknowledged"


def test_media_acknowledgement_speaks_the_agent_language(tenant, fake_openai, fake_twilio):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url, language="en")
    connection = channel_connection(
        tenant.organization, agent=agent, twilio_account=twilio_account(tenant.organization)
    )

    post(connection, body="", NumMedia="1", MediaUrl0="https://example.com/a.ogg", MediaContentType0="audio/ogg")

    assert fake_twilio.messages[0]["Body"].startswith("Thanks! I received your attachment")


def test_location_and_contacts_messages_do_not_crash(tenant, whatsapp, fake_openai, fake_twilio):
    location = post(
        whatsapp,
        body="",
        Latitude="40.4168",
        Longitude="-3.7038",
        Address="Puerta del Sol",
        Label="Sol",
        MessageType="location",
    )
    contacts = post(
        whatsapp,
        body="",
        NumMedia="1",
        MediaUrl0="https://example.com/c.vcf",
        MediaContentType0="text/vcard",
        MessageType="contacts",
    )

    assert location.status_code == contacts.status_code == 200
    first, second = inbound_messages(tenant.organization)
    assert first.metadata["location"] == {
        "latitude": "40.4168",
        "longitude": "-3.7038",
        "address": "Puerta del Sol",
        "label": "Sol",
    }
    assert second.media[0]["content_type"] == "text/vcard"
    assert len(fake_twilio.messages) == 2
    assert fake_openai.requests == []


@pytest.mark.parametrize("keyword", ["STOP", "baja", "  Bajá! ", "unsubscribe"])
def test_opt_out_keyword_unsubscribes_and_later_messages_are_not_answered(
    tenant, whatsapp, fake_openai, fake_twilio, keyword
):
    post(whatsapp, body=keyword, sender="+34600111222")

    contact = Contact.unscoped.get(organization=tenant.organization, external_id="+34600111222")
    assert contact.opted_out
    [confirmation] = fake_twilio.messages
    assert "baja" in confirmation["Body"]

    post(whatsapp, body="¿Sigue abierto?", sender="+34600111222")

    assert len(fake_twilio.messages) == 1
    assert fake_openai.requests == []
    assert inbound_messages(tenant.organization)[-1].metadata["outcome"] == "ignored_opted_out"


def test_start_resubscribes(tenant, whatsapp, fake_openai, fake_twilio):
    post(whatsapp, body="STOP")
    post(whatsapp, body="start")

    contact = Contact.unscoped.get(organization=tenant.organization)
    assert not contact.opted_out
    assert "suscrito" in fake_twilio.messages[-1]["Body"]

    post(whatsapp, body="¿Abrís mañana?")
    assert fake_twilio.messages[-1]["Body"] == "Echo: ¿Abrís mañana?"


def test_cancel_is_an_ordinary_word_on_whatsapp(tenant, whatsapp, fake_twilio):
    post(whatsapp, body="Cancel")

    assert not Contact.unscoped.get(organization=tenant.organization).opted_out
    assert fake_twilio.messages[-1]["Body"] == "Echo: Cancel"


def test_paused_bot_stores_the_message_and_stays_silent(tenant, whatsapp, fake_openai, fake_twilio):
    post(whatsapp, body="hola")
    conversation = inbound_messages(tenant.organization)[0].conversation
    conversation.bot_paused = True
    conversation.save(update_fields=["bot_paused"])
    fake_openai.reset()
    fake_twilio.reset()

    post(whatsapp, body="¿Me atiende una persona?")

    last = inbound_messages(tenant.organization)[-1]
    assert last.content == "¿Me atiende una persona?"
    assert last.metadata["outcome"] == "ignored_bot_paused"
    assert fake_openai.requests == []
    assert fake_twilio.messages == []


@pytest.mark.parametrize("message", ["", "Estamos cerrados por mantenimiento."])
def test_suspended_organization_gets_the_configured_message_or_silence(
    tenant, whatsapp, fake_openai, fake_twilio, message
):
    ChannelConnection.unscoped.filter(pk=whatsapp.pk).update(unavailable_message=message)
    tenant.organization.is_suspended = True
    tenant.organization.save(update_fields=["is_suspended"])

    response = post(whatsapp, body="hola")

    assert response.status_code == 200
    assert fake_openai.requests == []
    assert [m["Body"] for m in fake_twilio.messages] == ([message] if message else [])
    inbound = inbound_messages(tenant.organization)[0]
    assert inbound.metadata["reason"] == "organization_suspended"
    assert inbound.metadata["outcome"] == ("unavailable_message" if message else "silent")


def test_empty_wallet_gets_the_configured_message_without_an_llm_call(tenant, whatsapp, fake_openai, fake_twilio):
    from billing.models import Wallet

    Wallet.unscoped.create(organization=tenant.organization, balance=0)
    ChannelConnection.unscoped.filter(pk=whatsapp.pk).update(unavailable_message="Vuelve en un rato, por favor.")

    post(whatsapp, body="hola")

    assert fake_openai.requests == []
    assert [m["Body"] for m in fake_twilio.messages] == ["Vuelve en un rato, por favor."]
    assert inbound_messages(tenant.organization)[0].metadata["reason"] == "wallet_empty"


def test_unpublished_agent_is_silent(tenant, whatsapp, fake_openai, fake_twilio):
    whatsapp.agent.published_version = None
    whatsapp.agent.save(update_fields=["published_version"])

    assert post(whatsapp, body="hola").status_code == 200

    assert fake_openai.requests == []
    assert fake_twilio.messages == []
    metadata = inbound_messages(tenant.organization)[0].metadata
    assert (metadata["outcome"], metadata["reason"]) == ("silent", "agent_not_published")


def test_messaging_service_sid_is_used_when_the_account_has_one(tenant, fake_openai, fake_twilio):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
    account = twilio_account(tenant.organization, messaging_service_sid="MG" + "a" * 32)
    connection = channel_connection(tenant.organization, agent=agent, twilio_account=account)

    post(connection, body="hola")

    [sent] = fake_twilio.messages
    assert sent["MessagingServiceSid"] == "MG" + "a" * 32
    assert sent["From"] == connection.twilio_address


def test_api_key_credentials_are_used_for_sending(tenant, fake_openai, fake_twilio, monkeypatch):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
    account = twilio_account(tenant.organization, api_key_sid="SK" + "b" * 32, api_key_secret="key-secret-value")
    connection = channel_connection(tenant.organization, agent=agent, twilio_account=account)
    monkeypatch.setattr(fake_twilio, "credentials", {"SK" + "b" * 32: "key-secret-value"})

    post(connection, body="hola")

    assert fake_twilio.requests[-1]["auth_username"] == "SK" + "b" * 32
    assert len(fake_twilio.messages) == 1


def test_twilio_refusing_an_unsubscribed_recipient_is_recorded_and_opts_them_out(tenant, whatsapp, fake_twilio):
    fake_twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    assert post(whatsapp, body="hola").status_code == 200

    [reply] = replies(tenant.organization)
    assert reply.delivery_status == "failed"
    assert reply.delivery_error == "21610: Attempt to send to unsubscribed recipient"
    assert reply.reply_sent_at is None
    assert Contact.unscoped.get(organization=tenant.organization).opted_out


def test_twilio_outage_is_retried_and_delivers_once(tenant, whatsapp, fake_twilio):
    fake_twilio.fail_next(503, 20503, "Service unavailable")

    post(whatsapp, body="hola")

    [sent] = fake_twilio.messages
    [reply] = replies(tenant.organization)
    assert reply.external_id == sent["sid"]
    assert reply.delivery_status == "queued"


def test_outside_the_whatsapp_window_the_approved_template_is_sent(tenant, whatsapp, fake_openai, fake_twilio):
    ChannelConnection.unscoped.filter(pk=whatsapp.pk).update(whatsapp_template_sid="HX" + "c" * 32)
    whatsapp.refresh_from_db()
    inbound = _late_inbound(tenant.organization, whatsapp)

    _process(tenant.organization, whatsapp, inbound)

    [sent] = fake_twilio.messages
    assert sent["ContentSid"] == "HX" + "c" * 32
    assert "Body" not in sent
    assert fake_openai.requests == []
    inbound.refresh_from_db()
    assert inbound.metadata["outcome"] == "whatsapp_template"


def test_outside_the_whatsapp_window_without_template_nothing_is_sent_and_why_is_recorded(
    tenant, whatsapp, fake_openai, fake_twilio
):
    inbound = _late_inbound(tenant.organization, whatsapp)

    _process(tenant.organization, whatsapp, inbound)

    assert fake_twilio.messages == []
    assert fake_openai.requests == []
    inbound.refresh_from_db()
    assert (inbound.metadata["outcome"], inbound.metadata["reason"]) == ("not_sent", "whatsapp_window_closed")


def _late_inbound(organization, connection) -> Message:
    """A message received 25 hours ago whose processing never ran (a stalled queue)."""
    from agents.services.conversations import contact_get_or_create, conversation_open, message_receive

    contact = contact_get_or_create(organization=organization, channel=connection.kind, external_id="+34600111222")
    conversation = conversation_open(
        organization=organization, agent=connection.agent, channel=connection.kind, contact=contact
    )
    return message_receive(
        organization=organization,
        conversation=conversation,
        text="¿Seguís ahí?",
        external_id=new_message_sid(),
        received_at=timezone.now() - timedelta(hours=25),
    )


def _process(organization, connection, inbound) -> None:
    from channels_app.messaging.tasks import process_inbound_message

    process_inbound_message.apply(
        kwargs={
            "organization_id": str(organization.pk),
            "message_id": str(inbound.pk),
            "connection_id": str(connection.pk),
        }
    )
