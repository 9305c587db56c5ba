"""Domain errors raised under a page become a friendly page, or a toast for htmx requests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role

pytestmark = pytest.mark.django_db


def demote_last_owner(client, tenant, **headers):
    client.force_login(tenant.owner)
    return client.post(reverse("backoffice:member_role", args=[tenant.membership.pk]), {"role": Role.MEMBER}, **headers)


def test_a_page_request_gets_a_full_error_page_with_the_status_code(client, tenant):
    response = demote_last_owner(client, tenant)

    html = response.content.decode()
    assert response.status_code == 409
    assert 'class="sidebar"' in html  # still inside the BackOffice shell
    assert "data-error-message" in html
    assert "Primero haz propietaria a otra persona." in html


def test_an_htmx_request_gets_a_toast_swapped_into_the_toast_stack(client, tenant):
    response = demote_last_owner(client, tenant, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#toasts"
    assert response["HX-Reswap"] == "beforeend"
    assert 'class="toast toast-error"' in html
    assert "<html" not in html


def test_an_unknown_id_is_a_friendly_not_found(client, tenant):
    client.force_login(tenant.owner)

    response = client.post(reverse("backoffice:api_key_revoke", args=["0" * 24]))

    assert response.status_code == 404
    assert 'class="message-page"' in response.content.decode()


def test_signed_out_visitors_see_the_error_without_the_backoffice_shell(client):
    response = client.get(reverse("backoffice:invitation_accept", args=["no-such-token"]))

    html = response.content.decode()
    assert response.status_code == 404
    assert 'class="sidebar"' not in html
    assert reverse("account_login") in html


def test_api_errors_stay_json(tenant):
    response = tenant.client.post(f"/api/v1/api-keys/{'0' * 24}/revoke/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
