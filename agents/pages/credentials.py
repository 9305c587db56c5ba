"""Provider keys (OpenAI, Anthropic, …): admins add and delete them; nobody reads them back."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages.base import OrganizationPage, PageRequest
from agents.pages.forms import ProviderCredentialForm
from agents.services.credentials import provider_credential_create, provider_credential_delete
from myagent.errors import Conflict, ValidationFailed


class CredentialListPage(OrganizationPage):
    required_role = Role.ADMIN

    def context(self, form: ProviderCredentialForm | None = None) -> dict[str, Any]:
        credentials = self.organization.providercredentials.order_by("provider", "name")
        return {"credentials": credentials, "form": form or ProviderCredentialForm()}

    def get(self, request: PageRequest) -> HttpResponse:
        return TemplateResponse(request, "agents/credential_list.html", self.context())

    def post(self, request: PageRequest) -> HttpResponse:
        form = ProviderCredentialForm(request.POST)
        if form.is_valid():
            try:
                credential = provider_credential_create(organization=self.organization, **form.cleaned_data)
            except ValidationFailed as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, str(error))
            except Conflict:
                form.add_error("name", _("You already have a key with this name for this provider."))
            else:
                messages.success(
                    request, _("%(credential)s was saved. Agents can use it now.") % {"credential": credential}
                )
                return redirect("backoffice:credential_list")
        return TemplateResponse(request, "agents/credential_list.html", self.context(form), status=400)


class CredentialDeletePage(OrganizationPage):
    required_role = Role.ADMIN

    def post(self, request: PageRequest, credential_id: str) -> HttpResponse:
        provider_credential_delete(organization=self.organization, credential_id=credential_id)
        messages.success(request, _("The key was deleted. Agents that used it fall back to your other keys."))
        if request.htmx:
            return TemplateResponse(request, "backoffice/partials/messages_oob.html", {})
        return redirect("backoffice:credential_list")
