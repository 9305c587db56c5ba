"""BackOffice "Channels" page: admins manage Twilio accounts and connected numbers."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from channels_app.models import ChannelConnection, TwilioAccount
from tests.accounts.factories import MembershipFactory
from tests.agents.factories import published_agent
from tests.channels_app.factories import channel_connection, new_account_sid, twilio_account

pytestmark = pytest.mark.django_db

PAGE = "/app/channels/"


@pytest.fixture
def admin(tenant) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(tenant.owner)
    return client


def test_admin_sees_numbers_accounts_and_the_webhook_urls(tenant, other_tenant, admin, settings):
    settings.PUBLIC_BASE_URL = "https://agents.example.com"
    account = twilio_account(tenant.organization, name="Café Sol Twilio")
    channel_connection(
        tenant.organization, agent=published_agent(tenant.organization), twilio_account=account, address="+34911000100"
    )
    channel_connection(
        other_tenant.organization,
        agent=published_agent(other_tenant.organization),
        twilio_account=twilio_account(other_tenant.organization),
        address="+34911000200",
    )

    response = admin.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "https://agents.example.com/webhooks/twilio/messaging/" in html
    assert "https://agents.example.com/webhooks/twilio/messaging/status/" in html
    assert "+34911000100" in html
    assert "Café Sol Twilio" in html
    assert "+34911000200" not in html  # another organization's number
    assert str(account.auth_token) not in html
    assert account.account_sid not in html


def test_members_cannot_manage_channels(tenant):
    member = MembershipFactory(organization=tenant.organization, role=Role.MEMBER)
    client = Client()
    client.force_login(member.user)

    assert client.get(PAGE).status_code == 403
    assert client.post("/app/channels/twilio-accounts/", {"account_sid": new_account_sid()}).status_code == 403
    assert not TwilioAccount.unscoped.filter(organization=tenant.organization).exists()


def test_add_an_account_then_connect_a_number(tenant, admin):
    agent = published_agent(tenant.organization)
    account_sid = new_account_sid()

    added = admin.post(
        "/app/channels/twilio-accounts/", {"name": "Mi Twilio", "account_sid": account_sid, "auth_token": "a" * 32}
    )
    account = TwilioAccount.unscoped.get(organization=tenant.organization)
    connected = admin.post(
        "/app/channels/connect/",
        {
            "kind": "whatsapp",
            "address": "+34911000300",
            "agent": str(agent.pk),
            "twilio_account": str(account.pk),
            "unavailable_message": "Volvemos enseguida.",
        },
    )

    assert added.status_code == connected.status_code == 302
    assert str(account.auth_token) == "a" * 32
    connection = ChannelConnection.unscoped.get(organization=tenant.organization)
    assert (connection.kind, connection.address, connection.agent_id) == ("whatsapp", "+34911000300", agent.pk)
    assert connection.unavailable_message == "Volvemos enseguida."


def test_a_taken_number_is_shown_on_the_form(tenant, other_tenant, admin):
    channel_connection(
        other_tenant.organization,
        agent=published_agent(other_tenant.organization),
        twilio_account=twilio_account(other_tenant.organization),
        kind="sms",
        address="+34911000400",
    )
    agent, account = published_agent(tenant.organization), twilio_account(tenant.organization)

    response = admin.post(
        "/app/channels/connect/",
        {"kind": "sms", "address": "+34911000400", "agent": str(agent.pk), "twilio_account": str(account.pk)},
    )

    assert response.status_code == 400
    assert "already connected" in response.content.decode()
    assert not ChannelConnection.unscoped.filter(organization=tenant.organization).exists()


def test_pause_and_disconnect(tenant, admin):
    connection = channel_connection(
        tenant.organization,
        agent=published_agent(tenant.organization),
        twilio_account=twilio_account(tenant.organization),
    )

    admin.post(f"/app/channels/{connection.pk}/toggle/")
    connection.refresh_from_db()
    assert not connection.is_active

    admin.post(f"/app/channels/{connection.pk}/delete/")
    assert not ChannelConnection.unscoped.filter(pk=connection.pk).exists()


def test_another_tenants_connection_and_account_are_not_found_and_unchanged(tenant, other_tenant, admin):
    foreign = channel_connection(
        other_tenant.organization,
        agent=published_agent(other_tenant.organization),
        twilio_account=twilio_account(other_tenant.organization),
    )
    paths = [
        f"/app/channels/{foreign.pk}/toggle/",
        f"/app/channels/{foreign.pk}/delete/",
        f"/app/channels/twilio-accounts/{foreign.twilio_account_id}/delete/",
    ]

    statuses = [admin.post(path).status_code for path in paths]

    assert statuses == [404, 404, 404]
    foreign.refresh_from_db()
    assert foreign.is_active
    assert TwilioAccount.unscoped.filter(pk=foreign.twilio_account_id).exists()
