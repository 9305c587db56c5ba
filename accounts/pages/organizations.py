"""Creating, switching, renaming and deleting organizations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from accounts.middleware import SESSION_KEY
from accounts.models import Role
from accounts.pages.base import OrganizationPage, PageRequest
from accounts.pages.forms import OrganizationCreateForm, OrganizationDeleteForm, OrganizationNameForm
from accounts.services.memberships import membership_for_user
from accounts.services.organizations import organization_create, organization_delete


class OrganizationCreatePage(LoginRequiredMixin, View):
    def get(self, request: PageRequest) -> HttpResponse:
        return TemplateResponse(request, "backoffice/organization_create.html", {"form": OrganizationCreateForm()})

    def post(self, request: PageRequest) -> HttpResponse:
        form = OrganizationCreateForm(request.POST)
        if not form.is_valid():
            return TemplateResponse(request, "backoffice/organization_create.html", {"form": form}, status=400)
        organization = organization_create(name=form.cleaned_data["name"], owner=request.user)
        request.session[SESSION_KEY] = str(organization.pk)
        messages.success(request, _("%(organization)s is ready.") % {"organization": organization.name})
        return redirect("backoffice:home")


class OrganizationSwitchPage(LoginRequiredMixin, View):
    """Only organizations the user belongs to can be picked; anything else is a 404."""

    def post(self, request: PageRequest) -> HttpResponse:
        membership = membership_for_user(user=request.user, organization_id=request.POST.get("organization_id"))
        request.session[SESSION_KEY] = str(membership.organization.pk)
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect("backoffice:home")
        return redirect(next_url)


class OrganizationSettingsPage(OrganizationPage):
    required_role = Role.ADMIN

    def context(
        self, name_form: OrganizationNameForm | None = None, delete_form: OrganizationDeleteForm | None = None
    ) -> dict:
        return {
            "name_form": name_form or OrganizationNameForm(instance=self.organization),
            "delete_form": delete_form or OrganizationDeleteForm(organization=self.organization),
            "can_delete": self.membership.has_role(Role.OWNER),
        }

    def get(self, request: PageRequest) -> HttpResponse:
        return TemplateResponse(request, "backoffice/organization_settings.html", self.context())

    def post(self, request: PageRequest) -> HttpResponse:
        form = OrganizationNameForm(request.POST, instance=self.organization)
        if not form.is_valid():
            return TemplateResponse(
                request, "backoffice/organization_settings.html", self.context(name_form=form), status=400
            )
        form.save()
        messages.success(request, _("The organization was renamed."))
        return redirect("backoffice:organization_settings")


class OrganizationDeletePage(OrganizationSettingsPage):
    required_role = Role.OWNER

    def get(self, request: PageRequest) -> HttpResponse:
        return redirect("backoffice:organization_settings")

    def post(self, request: PageRequest) -> HttpResponse:
        form = OrganizationDeleteForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return TemplateResponse(
                request, "backoffice/organization_settings.html", self.context(delete_form=form), status=400
            )
        name = self.organization.name
        organization_delete(organization=self.organization, actor_membership=self.membership)
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("%(organization)s and all its data were deleted.") % {"organization": name})
        return redirect("backoffice:home")
