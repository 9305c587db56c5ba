"""Members and invitations: admins invite, change roles and remove people."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Role
from accounts.pages.base import OrganizationPage, PageRequest
from accounts.pages.forms import InvitationForm, MemberRoleForm
from accounts.services.invitations import invitation_create, invitation_revoke
from accounts.services.memberships import membership_change_role, membership_remove
from myagent.errors import ValidationFailed


class MembersPageBase(OrganizationPage):
    required_role = Role.ADMIN

    def invitation_form(self, data: dict | None = None) -> InvitationForm:
        return InvitationForm(data, can_invite_owners=self.membership.has_role(Role.OWNER))

    def members_context(self, invitation_form: InvitationForm | None = None) -> dict:
        return {
            "members": self.organization.memberships.select_related("user").order_by("created_at"),
            "invitations": self.organization.invitations.select_related("invited_by")
            .filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
            .order_by("-created_at"),
            "invitation_form": invitation_form or self.invitation_form(),
            "roles": Role.choices,
            "actor": self.membership,
        }


class MemberListPage(MembersPageBase):
    def get(self, request: PageRequest) -> HttpResponse:
        return TemplateResponse(request, "backoffice/members.html", self.members_context())


class InvitationCreatePage(MembersPageBase):
    def post(self, request: PageRequest) -> HttpResponse:
        form: InvitationForm | None = self.invitation_form(request.POST)
        if form is not None and form.is_valid():
            invitation = invitation_create(
                organization=self.organization, invited_by=self.membership, **form.cleaned_data
            )
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            form = None
            if not request.htmx:
                return redirect("backoffice:member_list")
        if request.htmx:
            return TemplateResponse(request, "backoffice/partials/invitations_panel.html", self.members_context(form))
        return TemplateResponse(request, "backoffice/members.html", self.members_context(form), status=400)


class InvitationRevokePage(MembersPageBase):
    def post(self, request: PageRequest, invitation_id: str) -> HttpResponse:
        invitation = invitation_revoke(organization=self.organization, invitation_id=invitation_id)
        messages.success(request, _("The invitation for %(email)s was cancelled.") % {"email": invitation.email})
        if request.htmx:
            return TemplateResponse(request, "backoffice/partials/messages_oob.html", {})
        return redirect("backoffice:member_list")


class MemberRolePage(MembersPageBase):
    def post(self, request: PageRequest, membership_id: str) -> HttpResponse:
        form = MemberRoleForm(request.POST)
        if not form.is_valid():
            raise ValidationFailed(fields=form.errors.get_json_data())
        member = membership_change_role(
            organization=self.organization, actor=self.membership, membership_id=membership_id, **form.cleaned_data
        )
        messages.success(
            request,
            _("%(name)s is now %(role)s.") % {"name": member.user.get_full_name(), "role": member.get_role_display()},
        )
        if member.pk == self.membership.pk and not member.has_role(self.required_role):
            # They just took away their own right to be on this page.
            return _redirect(request, "backoffice:home")
        if request.htmx:
            actor = member if member.pk == self.membership.pk else self.membership
            context = {"member": member, "actor": actor, "roles": Role.choices, "swap_messages": True}
            return TemplateResponse(request, "backoffice/partials/member_row.html", context)
        return redirect("backoffice:member_list")


class MemberRemovePage(MembersPageBase):
    def post(self, request: PageRequest, membership_id: str) -> HttpResponse:
        member = membership_remove(organization=self.organization, actor=self.membership, membership_id=membership_id)
        if member.pk == self.membership.pk:
            messages.success(request, _("You left %(organization)s.") % {"organization": self.organization.name})
            return _redirect(request, "backoffice:home")
        messages.success(
            request,
            _("%(name)s was removed from %(organization)s.")
            % {"name": member.user.get_full_name(), "organization": self.organization.name},
        )
        if request.htmx:
            return TemplateResponse(request, "backoffice/partials/messages_oob.html", {})
        return redirect("backoffice:member_list")


def _redirect(request: PageRequest, url_name: str) -> HttpResponse:
    """A full-page navigation, also when the request came from htmx."""
    if request.htmx:
        return HttpResponseClientRedirect(reverse(url_name))
    return redirect(url_name)
