"""Real processes: Twilio's request reaches daphne, the reply is produced by a Celery
worker over Redis and sent to the fake Twilio REST API."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from agents.models import Message
from tests.agents.factories import fake_llm_agent
from tests.channels_app.factories import (
    INBOUND_PATH,
    auth_token_of,
    channel_connection,
    inbound_params,
    new_message_sid,
    sign,
    twilio_account,
)

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def connection(tenant, fake_openai, fake_twilio):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
    return channel_connection(tenant.organization, agent=agent, twilio_account=twilio_account(tenant.organization))


def post_to_daphne(server, connection, params) -> httpx.Response:
    url = server.url + INBOUND_PATH  # daphne runs with PUBLIC_BASE_URL = its own URL
    signature = sign(auth_token=auth_token_of(connection), url=url, params=params)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def wait_for_sent_reply(organization, timeout: float = 30) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = Message.unscoped.filter(organization=organization, role=Message.Role.ASSISTANT).first()
        if reply is not None and reply.reply_sent_at is not None:
            return reply
        time.sleep(0.1)
    raise AssertionError("no reply was sent in time")


def test_worker_answers_a_whatsapp_message_received_by_daphne(
    daphne_server, celery_worker, tenant, connection, fake_openai, fake_twilio
):
    fake_openai.queue("Te respondo desde el worker.")
    params = inbound_params(connection, body="¿Estáis abiertos?")

    response = post_to_daphne(daphne_server, connection, params)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert fake_twilio.wait_until(lambda: len(fake_twilio.messages) == 1, timeout=30)
    [sent] = fake_twilio.messages
    assert sent["Body"] == "Te respondo desde el worker."
    # The worker runs with the default PUBLIC_BASE_URL, daphne with its own port.
    assert sent["StatusCallback"].endswith("/webhooks/twilio/messaging/status/")
    reply = wait_for_sent_reply(tenant.organization)
    assert reply.external_id == sent["sid"]
    assert reply.received_at <= reply.llm_request_at <= reply.llm_done_at <= reply.reply_sent_at


def test_concurrent_retries_through_daphne_and_the_worker_give_one_reply(
    daphne_server, celery_worker, tenant, connection, fake_openai, fake_twilio
):
    params = inbound_params(connection, sid=new_message_sid(), body="¿Hay mesa?")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        statuses.append(post_to_daphne(daphne_server, connection, params).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [200] * 6
    assert fake_twilio.wait_until(lambda: len(fake_twilio.messages) >= 1, timeout=30)
    wait_for_sent_reply(tenant.organization)
    # Every duplicate task has had time to run; none of them may send.
    assert not fake_twilio.wait_until(lambda: len(fake_twilio.messages) > 1, timeout=3)
    assert Message.unscoped.filter(organization=tenant.organization, role=Message.Role.USER).count() == 1
    assert Message.unscoped.filter(organization=tenant.organization, role=Message.Role.ASSISTANT).count() == 1
    assert len(fake_openai.requests) == 1
