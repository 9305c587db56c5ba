"""Input forms for BackOffice pages: they parse and validate, services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Organization, Role, User


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"placeholder": _("name@company.com")})
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args: Any, can_invite_owners: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        if not can_invite_owners and isinstance(role, forms.ChoiceField):
            role.choices = [(value, label) for value, label in Role.choices if value != Role.OWNER]


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Online store")}),
        help_text=_("Something that tells you where the key is used."),
    )
    scope = forms.ChoiceField(label=_("Access"), choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ)


class AccountSettingsForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = User
        fields = ["full_name", "language"]
        labels = {"full_name": _("Your name")}


class OrganizationNameForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name"]
        labels = {"name": _("Organization name")}


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Business name"), max_length=120, widget=forms.TextInput(attrs={"placeholder": _("e.g. Panadería Sol")})
    )


class OrganizationDeleteForm(forms.Form):
    confirm_name = forms.CharField(label=_("Type the organization name to confirm"), max_length=120)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_confirm_name(self) -> str:
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.organization.name:
            raise forms.ValidationError(_("The name does not match. Type it exactly as shown."))
        return value
