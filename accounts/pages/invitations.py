"""The page behind an invitation link (/app/invitations/<token>/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View

from accounts.middleware import SESSION_KEY
from accounts.pages.base import PageRequest
from accounts.services.invitations import invitation_accept, invitation_for_token


class InvitationAcceptPage(View):
    """Anyone with the link sees who invited them; signing in with the invited address
    and pressing Accept joins the organization. Not an OrganizationPage: the visitor
    may have no organization yet, or be signed out."""

    def get(self, request: PageRequest, token: str) -> HttpResponse:
        invitation = invitation_for_token(token=token)
        email_matches = request.user.is_authenticated and request.user.email.lower() == invitation.email.lower()
        context = {"invitation": invitation, "token": token, "email_matches": email_matches}
        status = 403 if request.user.is_authenticated and not email_matches else 200
        return TemplateResponse(request, "backoffice/invitation_accept.html", context, status=status)

    def post(self, request: PageRequest, token: str) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = invitation_accept(token=token, user=request.user)
        request.session[SESSION_KEY] = str(membership.organization.pk)
        messages.success(request, _("Welcome to %(organization)s!") % {"organization": membership.organization.name})
        return redirect("backoffice:home")
