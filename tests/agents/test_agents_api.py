from __future__ import annotations

import pytest

from agents.models import ProviderCredential
from tests.agents.factories import fake_llm_agent

pytestmark = pytest.mark.django_db

VALID = {"name": "Reservas", "instructions": "Take restaurant bookings.", "model": "demo/assistant"}


def test_create_edit_publish_and_rollback_an_agent(tenant, fake_openai):
    client = tenant.client
    created = client.post("/api/v1/agents/", VALID, format="json")
    assert created.status_code == 201, created.content
    agent = created.json()
    assert agent["status"] == "draft" and agent["published_version"] is None and agent["is_demo"] is True

    v1 = client.post(f"/api/v1/agents/{agent['id']}/publish/", {"note": "first"}, format="json")
    assert v1.status_code == 201 and v1.json()["number"] == 1

    edited = client.patch(
        f"/api/v1/agents/{agent['id']}/", {"instructions": "Only bookings for dinner."}, format="json"
    )
    assert edited.status_code == 200
    # The draft changed but channels still serve v1 until the next publish.
    assert client.get(f"/api/v1/agents/{agent['id']}/").json()["published_version"] == 1
    v2 = client.post(f"/api/v1/agents/{agent['id']}/publish/", {}, format="json").json()
    assert v2["number"] == 2 and v2["snapshot"]["instructions"] == "Only bookings for dinner."

    versions = client.get(f"/api/v1/agents/{agent['id']}/versions/").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]

    rolled = client.post(f"/api/v1/agents/{agent['id']}/rollback/", {"version": v1.json()["id"]}, format="json")
    assert rolled.status_code == 200 and rolled.json()["number"] == 1
    detail = client.get(f"/api/v1/agents/{agent['id']}/").json()
    assert detail["published_version"] == 1
    assert detail["instructions"] == "Take restaurant bookings."


def test_channels_serve_the_published_version_not_the_draft(tenant, fake_openai):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url, instructions="Version one rules.")
    tenant.client.patch(f"/api/v1/agents/{agent.pk}/", {"instructions": "Draft rules."}, format="json")

    tenant.client.post(f"/api/v1/agents/{agent.pk}/chat/", {"message": "hola"}, format="json")
    system = fake_openai.last_request["json"]["messages"][0]["content"]
    assert "Version one rules." in system and "Draft rules." not in system

    tenant.client.post(f"/api/v1/agents/{agent.pk}/publish/", {}, format="json")
    tenant.client.post(f"/api/v1/agents/{agent.pk}/chat/", {"message": "hola"}, format="json")
    assert "Draft rules." in fake_openai.last_request["json"]["messages"][0]["content"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "openai/gpt-does-not-exist"}, "model"),
        ({"model": "nonsense"}, "model"),
        ({"model": "acme/model-x"}, "model"),
        ({"temperature": 5}, "temperature"),
        ({"temperature": "hot"}, "temperature"),
        ({"instructions": "   "}, "instructions"),
        ({"max_output_tokens": 0}, "max_output_tokens"),
        ({"tools": ["rm_rf"]}, "tools"),
        ({"fallback_models": ["openai/nope-nope"]}, "fallback_models"),
        ({"credential": "000000000000000000000000"}, "credential"),
        ({"name": ""}, "name"),
        ({"handoff_phone_number": "client:someone"}, "handoff_phone_number"),
        ({"handoff_phone_number": "600111222"}, "handoff_phone_number"),
    ],
)
def test_invalid_agent_input_is_a_precise_400(tenant, body, field):
    response = tenant.client.post("/api/v1/agents/", VALID | body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_chat_on_an_unpublished_agent_is_a_409(tenant):
    agent = tenant.client.post("/api/v1/agents/", VALID, format="json").json()
    response = tenant.client.post(f"/api/v1/agents/{agent['id']}/chat/", {"message": "hola"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "agent_not_published"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "parse_error"),
        (b'{"message": 12345678901234567890123}', "application/json", 200, None),
        (b'{"message": ""}', "application/json", 400, "invalid"),
        (b'{"message": "' + b"x" * 5000 + b'"}', "application/json", 400, "invalid"),
        (b'["a list"]', "application/json", 400, "invalid"),
        (b'{"message": "hi", "conversation_id": "nope"}', "application/json", 404, "not_found"),
    ],
)
def test_chat_rejects_bad_input_precisely(tenant, body, content_type, status, code):
    agent = tenant.client.post("/api/v1/agents/", VALID, format="json").json()
    tenant.client.post(f"/api/v1/agents/{agent['id']}/publish/", {}, format="json")
    response = tenant.client.generic("POST", f"/api/v1/agents/{agent['id']}/chat/", body, content_type=content_type)
    assert response.status_code == status, response.content
    if code:
        assert response.json()["error"]["code"] == code


def test_chat_with_a_malformed_content_length_is_a_400_not_500(tenant):
    agent = tenant.client.post("/api/v1/agents/", VALID, format="json").json()
    tenant.client.post(f"/api/v1/agents/{agent['id']}/publish/", {}, format="json")
    response = tenant.client.generic(
        "POST",
        f"/api/v1/agents/{agent['id']}/chat/",
        b'{"message": "hola"}',
        content_type="application/json",
        CONTENT_LENGTH="abc",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_oversized_body_is_413_not_500(tenant):
    response = tenant.client.generic(
        "POST", "/api/v1/agents/", b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_provider_keys_are_write_only_masked_and_encrypted_at_rest(tenant):
    response = tenant.client.post(
        "/api/v1/provider-credentials/",
        {"provider": "openai", "api_key": "sk-live-supersecret-9876"},
        format="json",
    )
    assert response.status_code == 201
    assert "sk-live-supersecret-9876" not in response.content.decode()
    assert response.json()["masked_key"] == "sk-…9876"
    listing = tenant.client.get("/api/v1/provider-credentials/").content.decode()
    assert "supersecret" not in listing

    from django.db import connection

    raw = connection.database["agents_providercredential"].find_one({})
    assert "supersecret" not in str(raw)
    assert ProviderCredential.unscoped.get().api_key == "sk-live-supersecret-9876"
    assert "supersecret" not in repr(ProviderCredential.unscoped.get().api_key)


def test_openai_compatible_credential_needs_a_base_url(tenant):
    response = tenant.client.post(
        "/api/v1/provider-credentials/", {"provider": "openai_compatible", "api_key": "sk-12345678"}, format="json"
    )
    assert response.status_code == 400
    assert "base_url" in response.json()["error"]["fields"]


def test_conversations_can_be_filtered(tenant, fake_openai):
    agent = fake_llm_agent(tenant.organization, fake_openai.base_url)
    tenant.client.post(f"/api/v1/agents/{agent.pk}/chat/", {"message": "hola"}, format="json")
    assert tenant.client.get("/api/v1/conversations/?channel=api").json()["count"] == 1
    assert tenant.client.get("/api/v1/conversations/?channel=sms").json()["count"] == 0
    assert tenant.client.get(f"/api/v1/conversations/?agent={agent.pk}").json()["count"] == 1
    assert tenant.client.get("/api/v1/conversations/?agent=zzz").json()["count"] == 0
    assert tenant.client.get("/api/v1/conversations/?channel=pigeon").status_code == 400
