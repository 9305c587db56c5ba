"""API keys: admins create keys for their own systems; the secret is shown exactly once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages.base import OrganizationPage, PageRequest
from accounts.pages.forms import ApiKeyForm
from accounts.services.api_keys import api_key_create, api_key_revoke


class ApiKeyListPage(OrganizationPage):
    required_role = Role.ADMIN

    def context(self, form: ApiKeyForm | None = None, **extra: object) -> dict:
        return {"api_keys": self.organization.apikeys.order_by("-created_at"), "form": form or ApiKeyForm(), **extra}

    def get(self, request: PageRequest) -> HttpResponse:
        return TemplateResponse(request, "backoffice/api_keys.html", self.context())

    def post(self, request: PageRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        template = "backoffice/partials/api_keys_panel.html" if request.htmx else "backoffice/api_keys.html"
        if not form.is_valid():
            return TemplateResponse(request, template, self.context(form), status=200 if request.htmx else 400)
        api_key, raw_key = api_key_create(organization=self.organization, created_by=request.user, **form.cleaned_data)
        # Rendered straight into this response and never stored: reloading cannot show it again.
        return TemplateResponse(request, template, self.context(new_key=api_key, raw_key=raw_key))


class ApiKeyRevokePage(OrganizationPage):
    required_role = Role.ADMIN

    def post(self, request: PageRequest, key_id: str) -> HttpResponse:
        api_key = api_key_revoke(organization=self.organization, key_id=key_id)
        messages.success(
            request, _("The key “%(name)s” was revoked. Apps using it stop working now.") % {"name": api_key.name}
        )
        if request.htmx:
            return TemplateResponse(
                request, "backoffice/partials/api_key_row.html", {"api_key": api_key, "swap_messages": True}
            )
        return redirect("backoffice:api_key_list")
