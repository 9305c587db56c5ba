"""Inviting people into an organization by email.

An invitation is a one-time link: the raw token only ever exists in the email we send;
the database keeps its SHA-256. Accepting requires being signed in with the invited
address, so a forwarded link cannot put someone else into the organization.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Invitation, Membership, Organization, Role, User
from myagent.errors import ApplicationError, Conflict, Forbidden, NotFound, ValidationFailed
from myagent.lookups import get_or_404

INVITATION_LIFETIME = timedelta(days=7)


class InvitationUnusableError(ApplicationError):
    """The link was real but can no longer be used (expired, revoked or already accepted)."""

    status_code = 410
    code = "invitation_unusable"
    default_message = gettext_lazy("This invitation can no longer be used.")


def invitation_accept_url(raw_token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("backoffice:invitation_accept", kwargs={"token": raw_token})


def invitation_create(*, organization: Organization, invited_by: Membership, email: str, role: str) -> Invitation:
    """Invite `email` with `role` and email them an accept link valid for seven days.

    Inviting an address that already has a pending invitation replaces it (the old link
    stops working), so "resend" is simply inviting again. Only owners may invite owners.
    Side effect: sends one email.
    """
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [_("Choose a valid role.")]})
    if role == Role.OWNER and not invited_by.has_role(Role.OWNER):
        raise Forbidden(_("Only owners can invite other owners."))
    if organization.memberships.filter(user__email=email).exists():
        raise Conflict(_("%(email)s is already a member of this organization.") % {"email": email})

    now = timezone.now()
    organization.invitations.filter(email=email, accepted_at=None, revoked_at=None).update(revoked_at=now)
    raw_token, token_hash = Invitation.new_token()
    invitation = organization.invitations.create(
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=invited_by.user,
        expires_at=now + INVITATION_LIFETIME,
    )
    _send_invitation_email(invitation=invitation, raw_token=raw_token)
    return invitation


def _send_invitation_email(*, invitation: Invitation, raw_token: str) -> None:
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": invitation.invited_by,
        "accept_url": invitation_accept_url(raw_token),
        "role_label": Role(invitation.role).label,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(subject, body, None, [invitation.email])


def invitation_revoke(*, organization: Organization, invitation_id: str) -> Invitation:
    """Stop a pending invitation's link from working. Revoking twice is harmless."""
    invitation = get_or_404(organization.invitations.all(), invitation_id)
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation was already accepted; remove the member instead."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_for_token(*, token: str) -> Invitation:
    """The usable invitation behind a raw link token, or a clear error saying why not."""
    invitation = (
        Invitation.unscoped.select_related(  # tenant-bypass: the token is what identifies the organization
            "organization", "invited_by"
        )
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation link is not valid. Check that you copied the whole link."))
    organization_name = invitation.organization.name
    if invitation.revoked_at is not None:
        raise InvitationUnusableError(
            _("This invitation to %(organization)s was cancelled. Ask an administrator for a new one.")
            % {"organization": organization_name}
        )
    if invitation.accepted_at is not None:
        raise InvitationUnusableError(
            _("This invitation to %(organization)s has already been used.") % {"organization": organization_name}
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusableError(
            _("This invitation to %(organization)s has expired. Ask an administrator to send you a new one.")
            % {"organization": organization_name}
        )
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the invitation's organization as `user`, who must own the invited address.

    Someone who is already a member keeps their current role; the invitation is used up
    either way.
    """
    invitation = invitation_for_token(token=token)
    if invitation.email.lower() != user.email.lower():
        raise Forbidden(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    organization = invitation.organization
    membership = organization.memberships.filter(user=user).first()
    if membership is None:
        try:
            membership = organization.memberships.create(user=user, role=invitation.role)
        except IntegrityError:  # a double-submitted accept: the other request joined first
            membership = organization.memberships.get(user=user)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership
