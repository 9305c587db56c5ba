"""The staff admin: every list renders, tenants can be suspended, secrets never show."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import ApiKey, Organization, User
from accounts.services.invitations import invitation_create
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("staff@myagent.example", "staff-Password-1")


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    client.force_login(staff)
    return client


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_every_registered_models_list_renders(staff_client, tenant):
    invitation_create(
        organization=tenant.organization, invited_by=tenant.membership, email="x@example.com", role="member"
    )
    for model in admin.site._registry:
        response = staff_client.get(changelist(model))
        assert response.status_code == 200, model


def test_people_who_are_not_staff_are_kept_out(client, tenant):
    client.force_login(tenant.owner)

    response = client.get(changelist(Organization))

    assert response.status_code == 302
    assert reverse("admin:login") in response.url


class TestOrganizations:
    def test_list_shows_member_counts_and_searches_by_name(self, staff_client, tenant, other_tenant):
        UserFactory.create_batch(2)  # people without an organization don't count anywhere

        response = staff_client.get(changelist(Organization), {"q": '"Tenant A"'})

        html = response.content.decode()
        assert "Tenant A" in html
        assert "Tenant B" not in html
        assert '<td class="field-member_count">1</td>' in html

    def test_suspend_and_unsuspend_actions(self, staff_client, tenant, other_tenant):
        suspend = staff_client.post(
            changelist(Organization), {"action": "suspend", "_selected_action": [str(tenant.organization.pk)]}
        )

        assert suspend.status_code == 302
        tenant.organization.refresh_from_db()
        other_tenant.organization.refresh_from_db()
        assert tenant.organization.is_suspended
        assert not other_tenant.organization.is_suspended
        assert tenant.client.get("/api/v1/organization/").status_code == 403

        staff_client.post(
            changelist(Organization), {"action": "unsuspend", "_selected_action": [str(tenant.organization.pk)]}
        )
        tenant.organization.refresh_from_db()
        assert not tenant.organization.is_suspended
        assert tenant.client.get("/api/v1/organization/").status_code == 200

    def test_change_page_lists_the_members_inline(self, staff_client, tenant):
        response = staff_client.get(change(tenant.organization))

        assert response.status_code == 200
        assert tenant.owner.email in response.content.decode()


class TestUsers:
    def test_search_and_change_page(self, staff_client, tenant):
        listing = staff_client.get(changelist(User), {"q": tenant.owner.email})
        page = staff_client.get(change(tenant.owner))

        assert tenant.owner.email in listing.content.decode()
        assert page.status_code == 200
        assert "username" not in page.content.decode()

    def test_staff_can_set_a_password(self, staff_client, tenant):
        url = reverse("admin:auth_user_password_change", args=[tenant.owner.pk])

        assert staff_client.get(url).status_code == 200
        response = staff_client.post(url, {"password1": "new-Staff-set-9", "password2": "new-Staff-set-9"})

        assert response.status_code == 302
        tenant.owner.refresh_from_db()
        assert tenant.owner.check_password("new-Staff-set-9")

    def test_staff_can_add_a_user_by_email(self, staff_client):
        response = staff_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "added@example.com",
                "usable_password": "true",
                "password1": "an-Added-pw-5",
                "password2": "an-Added-pw-5",
            },
        )

        assert response.status_code == 302
        assert User.objects.get(email="added@example.com").check_password("an-Added-pw-5")


class TestCredentials:
    def test_invitation_token_hash_is_never_shown(self, staff_client, tenant):
        invitation = invitation_create(
            organization=tenant.organization, invited_by=tenant.membership, email="x@example.com", role="member"
        )

        html = staff_client.get(change(invitation)).content.decode()
        listing = staff_client.get(changelist(type(invitation))).content.decode()

        assert invitation.token_hash not in html
        assert invitation.token_hash not in listing
        assert "x@example.com" in listing

    def test_api_key_hash_is_never_shown_and_keys_can_be_revoked(self, staff_client, tenant):
        html = staff_client.get(change(tenant.api_key)).content.decode()
        listing = staff_client.get(changelist(ApiKey)).content.decode()

        assert tenant.api_key.key_hash not in html
        assert tenant.api_key.key_hash not in listing
        assert tenant.api_key.prefix in listing

        staff_client.post(changelist(ApiKey), {"action": "revoke", "_selected_action": [str(tenant.api_key.pk)]})

        assert tenant.client.get("/api/v1/organization/").status_code == 401
