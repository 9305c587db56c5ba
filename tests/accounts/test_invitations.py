"""Inviting people: the email, the one-time link, and who may use it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SESSION_KEY
from accounts.models import Invitation, Role
from accounts.services.invitations import invitation_create
from tests.accounts.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/app/invitations/([\w-]+)/")


def invite(tenant, email: str, role: str = Role.MEMBER) -> str:
    """Invite through the service and return the raw token from the email."""
    invitation_create(organization=tenant.organization, invited_by=tenant.membership, email=email, role=role)
    return LINK.search(mail.outbox[-1].body).group(1)


def accept_url(token: str) -> str:
    return reverse("backoffice:invitation_accept", args=[token])


class TestSendingInvitations:
    def test_the_email_carries_a_link_and_only_a_hash_is_stored(self, client, tenant, mailoutbox):
        client.force_login(tenant.owner)

        response = client.post(
            reverse("backoffice:invitation_create"), {"email": "Nuevo@Example.com", "role": Role.ADMIN}
        )

        assert response.status_code == 302
        [message] = mailoutbox
        assert message.to == ["nuevo@example.com"]
        assert tenant.organization.name in message.subject
        token = LINK.search(message.body).group(1)
        invitation = tenant.organization.invitations.get()
        assert invitation.role == Role.ADMIN
        assert invitation.token_hash == Invitation.hash_token(token)
        assert token not in invitation.token_hash
        assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)

    def test_htmx_invite_refreshes_the_panel_with_the_pending_invitation(self, client, tenant, mailoutbox):
        client.force_login(tenant.owner)

        response = client.post(
            reverse("backoffice:invitation_create"),
            {"email": "panel@example.com", "role": Role.MEMBER},
            HTTP_HX_REQUEST="true",
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="invitations-panel"' in html
        assert "panel@example.com" in html

    def test_inviting_a_current_member_is_refused(self, client, tenant, mailoutbox):
        client.force_login(tenant.owner)

        response = client.post(
            reverse("backoffice:invitation_create"), {"email": tenant.owner.email, "role": Role.MEMBER}
        )

        assert response.status_code == 409
        assert mailoutbox == []

    def test_admins_cannot_invite_owners(self, client, tenant, mailoutbox):
        admin = MembershipFactory(organization=tenant.organization, role=Role.ADMIN).user
        client.force_login(admin)

        response = client.post(reverse("backoffice:invitation_create"), {"email": "boss@example.com", "role": "owner"})

        assert response.status_code == 400
        assert not tenant.organization.invitations.exists()

    def test_inviting_again_replaces_the_old_link(self, client, tenant, user, mailoutbox):
        first = invite(tenant, user.email)
        second = invite(tenant, user.email)
        client.force_login(user)

        assert client.get(accept_url(first)).status_code == 410
        assert client.get(accept_url(second)).status_code == 200

    def test_revoking_a_pending_invitation(self, client, tenant, user, mailoutbox):
        token = invite(tenant, user.email)
        invitation = tenant.organization.invitations.get()
        client.force_login(tenant.owner)

        response = client.post(reverse("backoffice:invitation_revoke", args=[invitation.pk]), HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None
        client.force_login(user)
        refused = client.get(accept_url(token))
        assert refused.status_code == 410
        assert tenant.organization.name in refused.content.decode()

    def test_another_organizations_invitation_cannot_be_revoked(self, client, tenant, other_tenant, mailoutbox):
        invite(other_tenant, "someone@example.com")
        invitation = other_tenant.organization.invitations.get()
        client.force_login(tenant.owner)

        response = client.post(reverse("backoffice:invitation_revoke", args=[invitation.pk]))

        assert response.status_code == 404
        invitation.refresh_from_db()
        assert invitation.revoked_at is None


class TestAcceptingInvitations:
    def test_the_invited_person_joins_with_the_invited_role(self, client, tenant, user, mailoutbox):
        token = invite(tenant, user.email.upper(), role=Role.ADMIN)
        client.force_login(user)

        page = client.get(accept_url(token))
        response = client.post(accept_url(token))

        assert page.status_code == 200
        assert tenant.organization.name in page.content.decode()
        assert response.status_code == 302
        assert response.url == reverse("backoffice:home")
        assert tenant.organization.memberships.get(user=user).role == Role.ADMIN
        assert client.session[SESSION_KEY] == str(tenant.organization.pk)
        assert tenant.organization.name in client.get(reverse("backoffice:home")).content.decode()

    def test_a_used_link_cannot_be_used_again(self, client, tenant, user, mailoutbox):
        token = invite(tenant, user.email)
        client.force_login(user)
        client.post(accept_url(token))

        again = client.post(accept_url(token))

        assert again.status_code == 410
        assert tenant.organization.memberships.filter(user=user).count() == 1

    def test_an_expired_invitation_is_refused_with_a_clear_message(self, client, tenant, user, mailoutbox):
        token = invite(tenant, user.email)
        tenant.organization.invitations.update(expires_at=timezone.now() - timedelta(minutes=1))
        client.force_login(user)

        page = client.get(accept_url(token))
        post = client.post(accept_url(token))

        assert page.status_code == 410
        assert post.status_code == 410
        assert "data-error-message" in page.content.decode()
        assert not tenant.organization.memberships.filter(user=user).exists()

    def test_a_made_up_token_is_not_found(self, client, user):
        client.force_login(user)

        assert client.get(accept_url("not-a-real-token")).status_code == 404

    def test_someone_signed_in_with_another_email_cannot_accept(self, client, tenant, mailoutbox):
        token = invite(tenant, "invited@example.com")
        intruder = UserFactory(email="forwarded-to@example.com")
        client.force_login(intruder)

        page = client.get(accept_url(token))
        post = client.post(accept_url(token))

        assert page.status_code == 403
        assert "invited@example.com" in page.content.decode()
        assert post.status_code == 403
        assert not tenant.organization.memberships.filter(user=intruder).exists()

    def test_the_token_only_ever_joins_the_organization_that_sent_it(
        self, client, tenant, other_tenant, user, mailoutbox
    ):
        # The invitee already belongs to B and is working in B when they open A's link.
        MembershipFactory(organization=other_tenant.organization, user=user, role=Role.MEMBER)
        token = invite(tenant, user.email, role=Role.ADMIN)
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = str(other_tenant.organization.pk)
        session.save()

        client.post(accept_url(token))

        assert tenant.organization.memberships.get(user=user).role == Role.ADMIN
        assert other_tenant.organization.memberships.get(user=user).role == Role.MEMBER

    def test_signed_out_visitors_are_sent_to_sign_in_or_sign_up_and_back(self, client, tenant, mailoutbox):
        token = invite(tenant, "new@example.com")

        page = client.get(accept_url(token))
        post = client.post(accept_url(token))

        html = page.content.decode()
        assert page.status_code == 200
        assert f"{reverse('account_login')}?next={accept_url(token)}" in html.replace("%2F", "/")
        assert f"{reverse('account_signup')}?next={accept_url(token)}" in html.replace("%2F", "/")
        assert post.status_code == 302
        assert post.url.startswith(reverse("account_login"))
        assert "next=" in post.url
