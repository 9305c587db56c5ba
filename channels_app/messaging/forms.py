"""BackOffice forms for Twilio accounts and channel connections: they parse input; the
services validate ownership, uniqueness and the platform account, and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from channels_app.messaging.validators import (
    validate_account_sid,
    validate_api_key_sid,
    validate_content_sid,
    validate_e164,
    validate_messaging_service_sid,
)
from channels_app.models import ChannelConnection
from channels_app.twilio.client import credentials_for
from myagent.lookups import find_by_id

PLATFORM_ACCOUNT = ""


class TwilioAccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, initial="Twilio")
    account_sid = forms.CharField(
        label=_("Account SID"), validators=[validate_account_sid], widget=forms.TextInput(attrs={"spellcheck": "false"})
    )
    auth_token = forms.CharField(
        label=_("Auth token"),
        min_length=16,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Twilio signs every webhook with it. Stored encrypted; never shown again."),
    )
    api_key_sid = forms.CharField(label=_("API key SID"), required=False, validators=[validate_api_key_sid])
    api_key_secret = forms.CharField(
        label=_("API key secret"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Optional: sends messages with an API key instead of the auth token."),
    )
    messaging_service_sid = forms.CharField(
        label=_("Messaging Service SID"), required=False, validators=[validate_messaging_service_sid]
    )


class ChannelConnectionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Channel"), choices=ChannelConnection.Kind.choices)
    address = forms.CharField(
        label=_("Number"),
        max_length=20,
        validators=[validate_e164],
        widget=forms.TextInput(attrs={"placeholder": "+34600111222", "inputmode": "tel"}),
        help_text=_("The Twilio number in international format. For WhatsApp, without “whatsapp:”."),
    )
    agent = forms.ChoiceField(label=_("Agent"), help_text=_("Only published agents can answer."))
    twilio_account = forms.ChoiceField(label=_("Twilio account"), required=False)
    unavailable_message = forms.CharField(
        label=_("Message when the agent can't answer"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent when the balance runs out or the service is paused. Leave empty to stay silent."),
    )
    whatsapp_template_sid = forms.CharField(
        label=_("WhatsApp template (ContentSid)"),
        required=False,
        validators=[validate_content_sid],
        help_text=_("An approved template sent when the 24-hour WhatsApp window has closed."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        agents = organization.agents.exclude(published_version=None).order_by("name")
        self.fields["agent"].choices = [(str(agent.pk), agent.name) for agent in agents]  # type: ignore[attr-defined]
        accounts = [(str(a.pk), str(a)) for a in organization.twilioaccounts.order_by("name")]
        if credentials_for(None) is not None:
            accounts.append((PLATFORM_ACCOUNT, str(_("MyAgent's shared Twilio account"))))
        self.fields["twilio_account"].choices = accounts  # type: ignore[attr-defined]

    def clean_agent(self) -> Any:
        agent = find_by_id(self.organization.agents.all(), self.cleaned_data["agent"])
        if agent is None:
            raise forms.ValidationError(_("Choose one of your agents."))
        return agent

    def clean_twilio_account(self) -> Any:
        value = self.cleaned_data.get("twilio_account") or PLATFORM_ACCOUNT
        if value == PLATFORM_ACCOUNT:
            return None
        account = find_by_id(self.organization.twilioaccounts.all(), value)
        if account is None:
            raise forms.ValidationError(_("Choose one of your Twilio accounts."))
        return account
