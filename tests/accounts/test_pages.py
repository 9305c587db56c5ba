"""BackOffice pages as a signed-in person uses them: shell, roles, switching, API keys, settings."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.middleware import SESSION_KEY
from accounts.models import ApiKey, Organization, Role, User
from myagent import navigation
from tests.accounts.factories import MembershipFactory, OrganizationFactory
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def person_with_role(tenant: Tenant, role: str) -> User:
    return MembershipFactory(organization=tenant.organization, role=role).user


def nav_entries(html: str) -> set[str]:
    return set(re.findall(r'data-nav="([a-z_]+)"', html))


def active_nav_entry(html: str) -> str | None:
    match = re.search(r'<a class="nav-link is-active"[^>]*data-nav="([a-z_]+)"', html)
    return match.group(1) if match else None


def api_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


class TestShell:
    def test_home_greets_the_owner_inside_their_organization(self, client, tenant):
        response = signed_in(client, tenant.owner).get(reverse("backoffice:home"))

        assert response.status_code == 200
        html = response.content.decode()
        assert tenant.organization.name in html
        assert tenant.owner.get_short_name() in html
        assert {"home", "member_list", "api_key_list", "organization_settings", "account_settings"} <= nav_entries(html)
        assert active_nav_entry(html) == "home"

    def test_members_see_only_the_pages_their_role_allows(self, client, tenant):
        member = person_with_role(tenant, Role.MEMBER)

        html = signed_in(client, member).get(reverse("backoffice:home")).content.decode()

        assert "home" in nav_entries(html)
        assert not {"member_list", "api_key_list", "organization_settings"} & nav_entries(html)

    def test_pages_not_built_yet_are_left_out_of_the_sidebar(self, client, tenant, monkeypatch):
        unbuilt = navigation.NavItem("page_that_does_not_exist", "Nowhere", "home")
        monkeypatch.setattr(navigation, "NAVIGATION", [*navigation.NAVIGATION, unbuilt])

        response = signed_in(client, tenant.owner).get(reverse("backoffice:home"))

        assert response.status_code == 200
        assert "page_that_does_not_exist" not in nav_entries(response.content.decode())

    def test_the_current_section_is_highlighted(self, client, tenant):
        html = signed_in(client, tenant.owner).get(reverse("backoffice:api_key_list")).content.decode()

        assert active_nav_entry(html) == "api_key_list"

    def test_signed_out_visitors_are_sent_to_sign_in(self, client, tenant):
        response = client.get(reverse("backoffice:home"))

        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    def test_someone_without_an_organization_is_asked_to_create_one(self, client, user):
        response = signed_in(client, user).get(reverse("backoffice:home"))

        assert response.status_code == 302
        assert response.url == reverse("backoffice:organization_create")

    def test_htmx_requests_carry_the_csrf_token(self, client, tenant):
        response = signed_in(client, tenant.owner).get(reverse("backoffice:home"))

        assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]+\"\}'", response.content.decode())


class TestRoles:
    def test_a_member_gets_forbidden_on_the_members_admin_page(self, client, tenant):
        member = person_with_role(tenant, Role.MEMBER)

        response = signed_in(client, member).get(reverse("backoffice:member_list"))

        assert response.status_code == 403
        assert "invitation_create" not in response.content.decode()
        assert "Send invitation" not in response.content.decode()

    def test_a_member_cannot_invite_or_remove_people(self, client, tenant):
        member = person_with_role(tenant, Role.MEMBER)
        signed_in(client, member)

        invite = client.post(reverse("backoffice:invitation_create"), {"email": "x@example.com", "role": Role.MEMBER})
        remove = client.post(reverse("backoffice:member_remove", args=[tenant.membership.pk]))

        assert invite.status_code == 403
        assert remove.status_code == 403
        assert not tenant.organization.invitations.exists()
        assert tenant.organization.memberships.filter(pk=tenant.membership.pk).exists()

    def test_an_admin_can_invite(self, client, tenant, mailoutbox):
        admin = person_with_role(tenant, Role.ADMIN)

        response = signed_in(client, admin).post(
            reverse("backoffice:invitation_create"), {"email": "new@example.com", "role": Role.MEMBER}
        )

        assert response.status_code == 302
        assert tenant.organization.invitations.filter(email="new@example.com").exists()
        assert [message.to for message in mailoutbox] == [["new@example.com"]]

    def test_only_the_owner_can_delete_the_organization(self, client, tenant):
        admin = person_with_role(tenant, Role.ADMIN)
        signed_in(client, admin)

        settings_page = client.get(reverse("backoffice:organization_settings")).content.decode()
        response = client.post(reverse("backoffice:organization_delete"), {"confirm_name": tenant.organization.name})

        assert "delete-organization" not in settings_page
        assert response.status_code == 403
        assert Organization.objects.filter(pk=tenant.organization.pk).exists()

    def test_the_owner_deletes_after_typing_the_name(self, client, tenant):
        signed_in(client, tenant.owner)

        wrong = client.post(reverse("backoffice:organization_delete"), {"confirm_name": "something else"})
        assert wrong.status_code == 400
        assert Organization.objects.filter(pk=tenant.organization.pk).exists()

        right = client.post(reverse("backoffice:organization_delete"), {"confirm_name": tenant.organization.name})
        assert right.status_code == 302
        assert not Organization.objects.filter(pk=tenant.organization.pk).exists()
        assert client.get(reverse("backoffice:home")).url == reverse("backoffice:organization_create")


class TestMembers:
    def test_admin_changes_a_role_with_htmx(self, client, tenant):
        member = MembershipFactory(organization=tenant.organization, role=Role.MEMBER)

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:member_role", args=[member.pk]), {"role": Role.ADMIN}, HTTP_HX_REQUEST="true"
        )

        assert response.status_code == 200
        assert f'id="member-{member.pk}"' in response.content.decode()
        member.refresh_from_db()
        assert member.role == Role.ADMIN

    def test_an_admin_cannot_promote_anyone_to_owner(self, client, tenant):
        admin = person_with_role(tenant, Role.ADMIN)
        member = MembershipFactory(organization=tenant.organization, role=Role.MEMBER)

        response = signed_in(client, admin).post(
            reverse("backoffice:member_role", args=[member.pk]), {"role": Role.OWNER}
        )

        assert response.status_code == 403
        member.refresh_from_db()
        assert member.role == Role.MEMBER

    def test_the_last_owner_cannot_be_demoted_or_removed(self, client, tenant):
        signed_in(client, tenant.owner)

        demote = client.post(reverse("backoffice:member_role", args=[tenant.membership.pk]), {"role": Role.MEMBER})
        remove = client.post(reverse("backoffice:member_remove", args=[tenant.membership.pk]))

        assert demote.status_code == 409
        assert remove.status_code == 409
        tenant.membership.refresh_from_db()
        assert tenant.membership.role == Role.OWNER

    def test_with_a_second_owner_the_first_can_step_down(self, client, tenant):
        MembershipFactory(organization=tenant.organization, role=Role.OWNER)

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:member_role", args=[tenant.membership.pk]), {"role": Role.ADMIN}
        )

        assert response.status_code == 302
        tenant.membership.refresh_from_db()
        assert tenant.membership.role == Role.ADMIN

    def test_admin_removes_a_member(self, client, tenant):
        member = MembershipFactory(organization=tenant.organization, role=Role.MEMBER)

        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:member_remove", args=[member.pk]), HTTP_HX_REQUEST="true"
        )

        assert response.status_code == 200
        assert not tenant.organization.memberships.filter(pk=member.pk).exists()
        html = response.content.decode()
        assert 'hx-swap-oob="beforeend"' in html  # the confirmation toast
        assert member.user.get_full_name() in html

    def test_another_organizations_member_is_not_found(self, client, tenant, other_tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:member_remove", args=[other_tenant.membership.pk])
        )

        assert response.status_code == 404
        assert other_tenant.organization.memberships.filter(pk=other_tenant.membership.pk).exists()

    def test_members_page_lists_people_with_roles(self, client, tenant):
        admin = person_with_role(tenant, Role.ADMIN)

        html = signed_in(client, tenant.owner).get(reverse("backoffice:member_list")).content.decode()

        assert tenant.owner.email in html
        assert admin.email in html


class TestOrganizationSwitching:
    def test_switching_to_an_organization_you_belong_to(self, client, tenant):
        second = OrganizationFactory(name="Second Shop")
        MembershipFactory(organization=second, user=tenant.owner, role=Role.MEMBER)
        signed_in(client, tenant.owner)

        response = client.post(reverse("backoffice:organization_switch"), {"organization_id": str(second.pk)})

        assert response.status_code == 302
        assert client.session[SESSION_KEY] == str(second.pk)
        html = client.get(reverse("backoffice:home")).content.decode()
        assert "Second Shop" in html
        assert "member_list" not in nav_entries(html)  # a plain member there

    def test_another_organizations_id_is_not_found_and_changes_nothing(self, client, tenant, other_tenant):
        signed_in(client, tenant.owner)
        client.post(reverse("backoffice:organization_switch"), {"organization_id": str(tenant.organization.pk)})

        response = client.post(
            reverse("backoffice:organization_switch"), {"organization_id": str(other_tenant.organization.pk)}
        )
        garbage = client.post(reverse("backoffice:organization_switch"), {"organization_id": "not-an-id"})

        assert response.status_code == 404
        assert garbage.status_code == 404
        assert client.session[SESSION_KEY] == str(tenant.organization.pk)
        assert other_tenant.organization.name not in client.get(reverse("backoffice:home")).content.decode()

    def test_switch_goes_back_to_the_page_you_were_on(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:organization_switch"),
            {"organization_id": str(tenant.organization.pk), "next": reverse("backoffice:api_key_list")},
        )
        off_site = client.post(
            reverse("backoffice:organization_switch"),
            {"organization_id": str(tenant.organization.pk), "next": "https://evil.example/"},
        )

        assert response.url == reverse("backoffice:api_key_list")
        assert off_site.url == reverse("backoffice:home")


class TestSuspendedOrganization:
    def test_backoffice_shows_the_suspended_page_and_the_api_refuses_its_keys(self, client, tenant):
        Organization.objects.filter(pk=tenant.organization.pk).update(is_suspended=True, suspended_reason="Unpaid")

        page = signed_in(client, tenant.owner).get(reverse("backoffice:home"))
        api = tenant.client.get("/api/v1/organization/")

        assert page.status_code == 403
        assert "Unpaid" in page.content.decode()
        assert 'class="message-icon is-warning"' in page.content.decode()
        assert api.status_code == 403

    def test_account_settings_stay_reachable_while_suspended(self, client, tenant):
        Organization.objects.filter(pk=tenant.organization.pk).update(is_suspended=True)

        response = signed_in(client, tenant.owner).get(reverse("backoffice:account_settings"))

        assert response.status_code == 200


class TestApiKeysPage:
    def test_a_new_key_is_shown_once_and_works(self, client, tenant):
        signed_in(client, tenant.owner)

        created = client.post(reverse("backoffice:api_key_list"), {"name": "Online store", "scope": "write"})

        assert created.status_code == 200
        raw = re.search(r'<code id="raw-api-key">([^<]+)</code>', created.content.decode()).group(1)
        api_key = tenant.organization.apikeys.get(name="Online store")
        assert raw.startswith(f"mya_{api_key.prefix}_")
        assert api_key.key_hash != raw
        assert api_client(raw).get("/api/v1/organization/").status_code == 200

        listing = client.get(reverse("backoffice:api_key_list")).content.decode()
        assert raw not in listing
        assert api_key.prefix in listing

    def test_htmx_create_returns_the_panel_with_the_key(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:api_key_list"), {"name": "CRM", "scope": "read"}, HTTP_HX_REQUEST="true"
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="api-keys-panel"' in html
        assert 'id="raw-api-key"' in html
        assert "<html" not in html

    def test_a_nameless_key_is_refused(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:api_key_list"), {"name": "", "scope": "read"}
        )

        assert response.status_code == 400
        assert 'class="field-errors"' in response.content.decode()
        assert tenant.organization.apikeys.count() == 1  # the fixture's own key

    def test_revoking_stops_the_key(self, client, tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:api_key_revoke", args=[tenant.api_key.pk]), HTTP_HX_REQUEST="true"
        )

        assert response.status_code == 200
        assert f'id="api-key-{tenant.api_key.pk}"' in response.content.decode()
        assert tenant.client.get("/api/v1/organization/").status_code == 401

    def test_another_organizations_key_cannot_be_revoked(self, client, tenant, other_tenant):
        response = signed_in(client, tenant.owner).post(
            reverse("backoffice:api_key_revoke", args=[other_tenant.api_key.pk])
        )

        assert response.status_code == 404
        assert other_tenant.client.get("/api/v1/organization/").status_code == 200

    def test_members_cannot_manage_keys(self, client, tenant):
        member = person_with_role(tenant, Role.MEMBER)

        response = signed_in(client, member).post(reverse("backoffice:api_key_list"), {"name": "x", "scope": "write"})

        assert response.status_code == 403
        assert not ApiKey.unscoped.filter(name="x").exists()  # tenant-bypass: asserting across tenants


class TestAccountAndOrganizationSettings:
    def test_changing_name_and_language(self, client, tenant):
        signed_in(client, tenant.owner)

        response = client.post(reverse("backoffice:account_settings"), {"full_name": "Rosa Díaz", "language": "en"})

        assert response.status_code == 302
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        tenant.owner.refresh_from_db()
        assert (tenant.owner.full_name, tenant.owner.language) == ("Rosa Díaz", "en")
        page = client.get(reverse("backoffice:account_settings")).content.decode()
        assert "Your settings were saved." in page
        assert "Account settings" in page

    def test_account_settings_link_to_email_password_and_2fa(self, client, tenant):
        html = signed_in(client, tenant.owner).get(reverse("backoffice:account_settings")).content.decode()

        for url_name in ("account_email", "account_change_password", "mfa_index"):
            assert f'href="{reverse(url_name)}"' in html

    def test_an_admin_renames_the_organization(self, client, tenant):
        admin = person_with_role(tenant, Role.ADMIN)

        response = signed_in(client, admin).post(reverse("backoffice:organization_settings"), {"name": "Sol & Luna"})

        assert response.status_code == 302
        tenant.organization.refresh_from_db()
        assert tenant.organization.name == "Sol & Luna"

    def test_creating_another_organization_makes_you_its_owner_and_switches_to_it(self, client, tenant):
        signed_in(client, tenant.owner)

        response = client.post(reverse("backoffice:organization_create"), {"name": "Nueva Tienda"})

        assert response.status_code == 302
        created = Organization.objects.get(name="Nueva Tienda")
        assert created.memberships.get(user=tenant.owner).role == Role.OWNER
        assert client.session[SESSION_KEY] == str(created.pk)
        assert "Nueva Tienda" in client.get(reverse("backoffice:home")).content.decode()


class TestLanguage:
    def test_spanish_is_the_default_and_setlang_switches_to_english(self, client):
        spanish = client.get(reverse("account_login")).content.decode()
        assert 'lang="es"' in spanish
        assert "Agentes de IA que atienden a tus clientes" in spanish

        client.post(reverse("set_language"), {"language": "en", "next": reverse("account_login")})
        english = client.get(reverse("account_login")).content.decode()

        assert 'lang="en"' in english
        assert "AI agents that answer your customers" in english
        assert "Agentes de IA" not in english

    def test_backoffice_navigation_is_translated(self, client, tenant):
        signed_in(client, tenant.owner)

        spanish = client.get(reverse("backoffice:home")).content.decode()
        client.post(reverse("set_language"), {"language": "en"})
        english = client.get(reverse("backoffice:home")).content.decode()

        assert "Miembros" in spanish
        assert "Members" in english
