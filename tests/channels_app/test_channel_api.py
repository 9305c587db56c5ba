"""/api/v1/twilio-accounts/ and /api/v1/channel-connections/."""

from __future__ import annotations

import pytest

from channels_app.models import ChannelConnection, TwilioAccount
from tests.agents.factories import published_agent
from tests.channels_app.factories import channel_connection, new_account_sid, twilio_account

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/twilio-accounts/"
CONNECTIONS = "/api/v1/channel-connections/"
INBOUND_URL = "http://127.0.0.1:8000/webhooks/twilio/messaging/"
STATUS_URL = "http://127.0.0.1:8000/webhooks/twilio/messaging/status/"


@pytest.fixture(autouse=True)
def _public_url_and_english(settings, tenant):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    tenant.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _account_body(**fields):
    return {"name": "Café Sol", "account_sid": new_account_sid(), "auth_token": "f" * 32, **fields}


def test_twilio_account_secrets_are_write_only_and_shown_masked(tenant):
    body = _account_body(api_key_sid="SK" + "1" * 32, api_key_secret="secret-of-the-api-key")

    response = tenant.client.post(ACCOUNTS, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    raw = response.content.decode()
    for secret in (body["account_sid"], body["auth_token"], body["api_key_sid"], body["api_key_secret"]):
        assert secret not in raw
    assert data["account_sid_masked"] == f"AC…{body['account_sid'][-4:]}"
    assert data["auth_token_masked"] == "ff…ffff"
    assert data["webhook_urls"]["messaging"] == {"incoming_message": INBOUND_URL, "status_callback": STATUS_URL}
    stored = TwilioAccount.unscoped.get(pk=data["id"])
    assert str(stored.auth_token) == "f" * 32  # usable in Python …
    assert TwilioAccount.unscoped.filter(auth_token="f" * 32).count() == 0  # … but encrypted at rest

    listed = tenant.client.get(ACCOUNTS).json()["results"]
    assert [a["id"] for a in listed] == [data["id"]]
    assert body["auth_token"] not in str(listed)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"account_sid": "AC123"}, "account_sid"),
        ({"auth_token": "short"}, "auth_token"),
        ({"api_key_sid": "SK" + "1" * 32}, "api_key_secret"),
        ({"messaging_service_sid": "XX" + "1" * 32}, "messaging_service_sid"),
    ],
)
def test_twilio_account_validation(tenant, fields, field):
    response = tenant.client.post(ACCOUNTS, _account_body(**fields), format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not TwilioAccount.unscoped.filter(organization=tenant.organization).exists()


def test_the_same_twilio_account_twice_is_a_conflict(tenant):
    body = _account_body()
    tenant.client.post(ACCOUNTS, body, format="json")

    assert tenant.client.post(ACCOUNTS, body, format="json").status_code == 409


def test_auth_token_rotation(tenant):
    account = twilio_account(tenant.organization)

    response = tenant.client.patch(f"{ACCOUNTS}{account.pk}/", {"auth_token": "e" * 32}, format="json")

    assert response.status_code == 200
    account.refresh_from_db()
    assert str(account.auth_token) == "e" * 32


def test_an_account_in_use_cannot_be_deleted(tenant):
    account = twilio_account(tenant.organization)
    channel_connection(tenant.organization, agent=published_agent(tenant.organization), twilio_account=account)

    response = tenant.client.delete(f"{ACCOUNTS}{account.pk}/")

    assert response.status_code == 409
    assert TwilioAccount.unscoped.filter(pk=account.pk).exists()


def test_connect_a_whatsapp_number(tenant):
    agent = published_agent(tenant.organization)
    account = twilio_account(tenant.organization)

    response = tenant.client.post(
        CONNECTIONS,
        {
            "kind": "whatsapp",
            "address": "+34911222333",
            "agent": str(agent.pk),
            "twilio_account": str(account.pk),
            "unavailable_message": "Ahora no podemos atenderte.",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["agent"] == str(agent.pk)
    assert data["twilio_account"] == str(account.pk)
    assert data["is_active"] is True
    assert data["webhook_urls"] == {"incoming_message": INBOUND_URL, "status_callback": STATUS_URL}
    connection = ChannelConnection.unscoped.get(pk=data["id"])
    assert (connection.organization_id, connection.twilio_address) == (tenant.organization.pk, "whatsapp:+34911222333")
    assert tenant.client.get(f"{CONNECTIONS}{connection.pk}/").json()["address"] == "+34911222333"


@pytest.mark.parametrize("address", ["34911222333", "+0911222333", "+1234567", "+3491122233344455", "whatsapp:+34911"])
def test_address_must_be_e164(tenant, address):
    agent = published_agent(tenant.organization)
    account = twilio_account(tenant.organization)
    body = {"kind": "sms", "address": address, "agent": str(agent.pk), "twilio_account": str(account.pk)}

    response = tenant.client.post(CONNECTIONS, body, format="json")

    assert response.status_code == 400
    assert "address" in response.json()["error"]["fields"]


def test_a_number_already_connected_anywhere_is_a_conflict(tenant, other_tenant):
    channel_connection(
        other_tenant.organization,
        agent=published_agent(other_tenant.organization),
        twilio_account=twilio_account(other_tenant.organization),
        kind="sms",
        address="+34911000777",
    )
    body = {
        "kind": "sms",
        "address": "+34911000777",
        "agent": str(published_agent(tenant.organization).pk),
        "twilio_account": str(twilio_account(tenant.organization).pk),
    }

    response = tenant.client.post(CONNECTIONS, body, format="json")

    assert response.status_code == 409
    assert "already connected" in response.json()["error"]["message"]
    assert "Tenant B" not in response.content.decode()
    # The same number may be connected for another kind.
    assert tenant.client.post(CONNECTIONS, {**body, "kind": "whatsapp"}, format="json").status_code == 201


def test_another_tenants_agent_or_account_is_rejected(tenant, other_tenant):
    foreign_agent = published_agent(other_tenant.organization)
    foreign_account = twilio_account(other_tenant.organization)
    own_agent, own_account = published_agent(tenant.organization), twilio_account(tenant.organization)

    with_agent = tenant.client.post(
        CONNECTIONS,
        {
            "kind": "sms",
            "address": "+34911000001",
            "agent": str(foreign_agent.pk),
            "twilio_account": str(own_account.pk),
        },
        format="json",
    )
    with_account = tenant.client.post(
        CONNECTIONS,
        {
            "kind": "sms",
            "address": "+34911000001",
            "agent": str(own_agent.pk),
            "twilio_account": str(foreign_account.pk),
        },
        format="json",
    )

    assert with_agent.status_code == with_account.status_code == 400
    assert with_agent.json()["error"]["fields"]["agent"] == ["Unknown agent."]
    assert with_account.json()["error"]["fields"]["twilio_account"] == ["Unknown Twilio account."]
    assert not ChannelConnection.unscoped.exists()


def test_an_unpublished_agent_cannot_be_connected(tenant):
    draft = published_agent(tenant.organization, publish=False)
    body = {
        "kind": "sms",
        "address": "+34911000002",
        "agent": str(draft.pk),
        "twilio_account": str(twilio_account(tenant.organization).pk),
    }

    response = tenant.client.post(CONNECTIONS, body, format="json")

    assert response.status_code == 400
    assert "Publish" in response.json()["error"]["fields"]["agent"][0]


def test_platform_account_is_required_when_no_account_is_given(tenant, settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "", ""
    body = {"kind": "sms", "address": "+34911000003", "agent": str(published_agent(tenant.organization).pk)}

    assert tenant.client.post(CONNECTIONS, body, format="json").status_code == 400

    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "platform-token-0123456789"
    response = tenant.client.post(CONNECTIONS, body, format="json")
    assert response.status_code == 201
    assert response.json()["twilio_account"] is None


def test_update_switches_agent_and_pauses_but_never_moves_the_number(tenant):
    connection = channel_connection(
        tenant.organization,
        agent=published_agent(tenant.organization),
        twilio_account=twilio_account(tenant.organization),
    )
    other_agent = published_agent(tenant.organization, name="Ventas")
    url = f"{CONNECTIONS}{connection.pk}/"

    response = tenant.client.patch(url, {"agent": str(other_agent.pk), "is_active": False}, format="json")
    moved = tenant.client.patch(url, {"address": "+34911999999"}, format="json")

    assert response.status_code == 200
    assert (response.json()["agent"], response.json()["is_active"]) == (str(other_agent.pk), False)
    assert moved.status_code == 400
    connection.refresh_from_db()
    assert (connection.agent_id, connection.is_active, connection.address) == (
        other_agent.pk,
        False,
        connection.address,
    )


def test_template_is_only_for_whatsapp(tenant):
    body = {
        "kind": "sms",
        "address": "+34911000004",
        "agent": str(published_agent(tenant.organization).pk),
        "twilio_account": str(twilio_account(tenant.organization).pk),
        "whatsapp_template_sid": "HX" + "a" * 32,
    }

    response = tenant.client.post(CONNECTIONS, body, format="json")

    assert response.status_code == 400
    assert "whatsapp_template_sid" in response.json()["error"]["fields"]


def test_delete_disconnects_the_number(tenant):
    connection = channel_connection(
        tenant.organization,
        agent=published_agent(tenant.organization),
        twilio_account=twilio_account(tenant.organization),
    )

    assert tenant.client.delete(f"{CONNECTIONS}{connection.pk}/").status_code == 204
    assert not ChannelConnection.unscoped.filter(pk=connection.pk).exists()


# --- tenant isolation: tenant A's key with tenant B's ids ------------------------------------


@pytest.fixture
def b_objects(other_tenant):
    account = twilio_account(other_tenant.organization)
    connection = channel_connection(
        other_tenant.organization, agent=published_agent(other_tenant.organization), twilio_account=account
    )
    return {"account": account, "connection": connection}


ROUTES = [
    ("get", ACCOUNTS + "{account}/", None),
    ("patch", ACCOUNTS + "{account}/", {"name": "hijacked", "auth_token": "0" * 32}),
    ("delete", ACCOUNTS + "{account}/", None),
    ("get", CONNECTIONS + "{connection}/", None),
    ("patch", CONNECTIONS + "{connection}/", {"is_active": False, "unavailable_message": "hijacked"}),
    ("delete", CONNECTIONS + "{connection}/", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_another_tenants_objects_are_not_found_and_unchanged(tenant, b_objects, method, path, body):
    account, connection = b_objects["account"], b_objects["connection"]
    before = (account.name, str(account.auth_token), connection.is_active, connection.unavailable_message)
    url = path.format(account=account.pk, connection=connection.pk)

    response = getattr(tenant.client, method)(url, body, format="json") if body else getattr(tenant.client, method)(url)

    assert response.status_code == 404
    account.refresh_from_db()
    connection.refresh_from_db()
    assert (account.name, str(account.auth_token), connection.is_active, connection.unavailable_message) == before


def test_lists_only_show_the_callers_objects(tenant, b_objects):
    own = twilio_account(tenant.organization)

    accounts = tenant.client.get(ACCOUNTS).json()["results"]
    connections = tenant.client.get(CONNECTIONS).json()["results"]

    assert [a["id"] for a in accounts] == [str(own.pk)]
    assert connections == []


def test_a_read_only_key_cannot_change_channels(tenant):
    from rest_framework.test import APIClient

    from accounts.models import ApiKey
    from accounts.services.api_keys import api_key_create

    _key, raw = api_key_create(organization=tenant.organization, name="ro", scope=ApiKey.Scope.READ)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert client.get(ACCOUNTS).status_code == 200
    assert client.post(ACCOUNTS, _account_body(), format="json").status_code == 403


def test_a_voice_connection_shows_the_voice_webhooks(tenant):
    body = {
        "kind": "voice",
        "address": "+34911000005",
        "agent": str(published_agent(tenant.organization).pk),
        "twilio_account": str(twilio_account(tenant.organization).pk),
    }

    response = tenant.client.post(CONNECTIONS, body, format="json")

    assert response.status_code == 201
    assert response.json()["webhook_urls"] == {
        "incoming_call": "http://127.0.0.1:8000/webhooks/twilio/voice/",
        "status_callback": "http://127.0.0.1:8000/webhooks/twilio/voice/status/",
    }
