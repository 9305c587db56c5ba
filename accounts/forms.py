from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services.organizations import organization_create


class SignupForm(forms.Form):
    """Extra signup fields: every new user starts with their own organization."""

    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    organization_name = forms.CharField(label=_("Business name"), max_length=120)

    def signup(self, request: HttpRequest, user: User) -> None:
        user.full_name = self.cleaned_data.get("full_name", "")
        user.save(update_fields=["full_name"])
        organization = organization_create(name=self.cleaned_data["organization_name"], owner=user)
        request.session["organization_id"] = str(organization.pk)
