"""Twilio's delivery status callbacks for the replies we sent."""

from __future__ import annotations

import pytest
from django.test import Client

from agents.models import Message
from channels_app.models import TwilioMessage
from tests.agents.factories import fake_llm_agent
from tests.channels_app.factories import (
    INBOUND_PATH,
    STATUS_PATH,
    auth_token_of,
    channel_connection,
    eager_tasks,
    inbound_params,
    signed_post,
    twilio_account,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_reply(tenant, fake_openai, fake_twilio):
    """A WhatsApp reply Twilio accepted: (connection, reply message, its MessageSid)."""
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
    connection = channel_connection(
        tenant.organization, agent=agent, twilio_account=twilio_account(tenant.organization)
    )
    with eager_tasks():
        signed_post(Client(), INBOUND_PATH, inbound_params(connection), auth_token=auth_token_of(connection))
    reply = Message.unscoped.get(organization=tenant.organization, role=Message.Role.ASSISTANT)
    return connection, reply, fake_twilio.messages[0]["sid"]


def callback(connection, sid, status, *, token=None, **extra):
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": connection.twilio_account.account_sid,
        "From": connection.twilio_address,
        "To": "whatsapp:+34600111222",
        "ApiVersion": "2010-04-01",
        **extra,
    }
    return signed_post(Client(), STATUS_PATH, params, auth_token=token or auth_token_of(connection))


def test_statuses_move_forward_and_never_back(sent_reply):
    connection, reply, sid = sent_reply

    for status in ["sent", "delivered", "sent", "queued", "read", "delivered"]:
        assert callback(connection, sid, status).status_code == 200

    reply.refresh_from_db()
    assert reply.delivery_status == "read"
    assert TwilioMessage.unscoped.get(sid=sid).status == "read"


def test_failure_records_the_error_code(sent_reply):
    connection, reply, sid = sent_reply

    callback(connection, sid, "sent")
    callback(connection, sid, "undelivered", ErrorCode="30008", ErrorMessage="Unknown error")
    callback(connection, sid, "delivered")  # a failure is final

    reply.refresh_from_db()
    assert reply.delivery_status == "undelivered"
    assert reply.delivery_error == "30008: Unknown error"


def test_unknown_message_sid_is_a_no_op(sent_reply):
    connection, reply, _sid = sent_reply

    response = callback(connection, "SM" + "f" * 32, "delivered")

    assert response.status_code == 200
    reply.refresh_from_db()
    assert reply.delivery_status == "queued"


def test_unsigned_or_forged_callbacks_change_nothing(sent_reply, other_tenant):
    connection, reply, sid = sent_reply
    forged_token = str(twilio_account(other_tenant.organization).auth_token)

    unsigned = Client().post(STATUS_PATH, {"MessageSid": sid, "MessageStatus": "failed"})
    forged = callback(connection, sid, "failed", token=forged_token, ErrorCode="30003")

    assert unsigned.status_code == forged.status_code == 403
    reply.refresh_from_db()
    assert reply.delivery_status == "queued"
    assert reply.delivery_error == ""


def test_a_split_reply_is_delivered_when_every_part_is(tenant, fake_openai, fake_twilio):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url, max_output_tokens=4000)
    connection = channel_connection(
        tenant.organization, agent=agent, kind="sms", twilio_account=twilio_account(tenant.organization)
    )
    fake_openai.queue(("Una frase bastante larga para rellenar el mensaje de prueba. " * 40).strip())
    with eager_tasks():
        signed_post(Client(), INBOUND_PATH, inbound_params(connection), auth_token=auth_token_of(connection))
    first, second = (m["sid"] for m in fake_twilio.messages)
    reply = Message.unscoped.get(organization=tenant.organization, role=Message.Role.ASSISTANT)

    callback(connection, first, "delivered", To="+34600111222", From=connection.address)
    reply.refresh_from_db()
    assert reply.delivery_status == "queued"

    callback(connection, second, "delivered", To="+34600111222", From=connection.address)
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered"
