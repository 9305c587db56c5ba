from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services.organizations import organization_set_suspended

pytestmark = pytest.mark.django_db


def _client(raw: str | None = None) -> APIClient:
    client = APIClient()
    if raw:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_organization_endpoint_returns_the_keys_organization(tenant):
    data = tenant.client.get("/api/v1/organization/").json()
    assert data["name"] == "Tenant A" and data["slug"] == tenant.organization.slug


def test_api_key_lifecycle_shown_once_hashed_last_used_and_revocable(tenant):
    created = tenant.client.post("/api/v1/api-keys/", {"name": "zapier", "scope": "read"}, format="json")
    assert created.status_code == 201
    raw = created.json()["key"]
    assert raw.startswith("mya_" + created.json()["prefix"])

    listing = tenant.client.get("/api/v1/api-keys/").json()["results"]
    assert all("key" not in item for item in listing)
    assert raw not in str(listing)

    reader = _client(raw)
    assert reader.get("/api/v1/organization/").status_code == 200
    detail = tenant.client.get(f"/api/v1/api-keys/{created.json()['id']}/").json()
    assert detail["last_used_at"] is not None

    # read scope can't write
    denied = reader.post("/api/v1/api-keys/", {"name": "escalate", "scope": "write"}, format="json")
    assert denied.status_code == 403

    revoked = tenant.client.post(f"/api/v1/api-keys/{created.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    refused = reader.get("/api/v1/organization/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer mya_nope", "Token abc", "Bearer mya_1234_wrong"])
def test_missing_or_bad_keys_are_401(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/organization/")
    assert response.status_code == 401
    assert "error" in response.json()


def test_suspended_organization_keys_stop_working(tenant):
    organization_set_suspended(organization=tenant.organization, suspended=True, reason="unpaid")
    response = tenant.client.get("/api/v1/organization/")
    assert response.status_code == 403
    organization_set_suspended(organization=tenant.organization, suspended=False)
    assert tenant.client.get("/api/v1/organization/").status_code == 200


def test_api_key_validation_errors(tenant):
    response = tenant.client.post("/api/v1/api-keys/", {"name": "", "scope": "admin"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"name", "scope"}


def test_openapi_schema_and_docs_are_served(tenant):
    schema = APIClient().get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/agents/{id}/chat/", "/api/v1/organization/", "/api/v1/api-keys/"} <= set(paths)
    assert APIClient().get("/api/v1/docs/").status_code == 200


def test_health_and_readiness(db):
    client = APIClient()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["checks"]["database"] == "ok"
