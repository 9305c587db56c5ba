"""BackOffice input forms for agents: they parse and validate, services do the writing.

`AgentForm` runs the same domain validation as the API (`agent_validate`), so a model
the catalog rejects or an out-of-range temperature shows next to its field instead of
surfacing later as a service error.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from agents.model_catalog import DEMO_MODEL, SUGGESTED_MODELS, model_error, provider_of
from agents.models import Agent, Channel, Provider, ProviderCredential
from agents.services.agents import PHONE_NUMBER, agent_validate
from agents.tools import available_tools

MAX_FALLBACK_MODELS = 5
MAX_PLAYGROUND_MESSAGE_CHARS = 4000
MODEL_DATALIST_ID = "model-suggestions"
LANGUAGE_CHOICES = [("es", _("Spanish")), ("en", _("English"))]

# Form field -> the key `agent_validate` and the services use for it.
AGENT_FIELDS = (
    "name",
    "description",
    "model",
    "fallback_models",
    "credential",
    "instructions",
    "temperature",
    "max_output_tokens",
    "greeting",
    "language",
    "memory_window",
    "tools",
    "handoff_phone_number",
)


class FallbackModelsField(forms.CharField):
    """One `provider/model` per line (commas work too); cleans to a list."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "placeholder": "openai/gpt-4o-mini"})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        models = [item.strip() for item in re.split(r"[\n,]+", text or "") if item.strip()]
        return list(dict.fromkeys(models))

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def validate(self, value: Any) -> None:
        super().validate(value)
        if len(value) > MAX_FALLBACK_MODELS:
            raise forms.ValidationError(
                _("Use at most %(count)d fallback models."), params={"count": MAX_FALLBACK_MODELS}
            )


class CredentialChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProviderCredential) -> str:
        return f"{obj.get_provider_display()} · {obj.name} ({obj.masked_key})"


class AgentForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120, widget=forms.TextInput(attrs={"placeholder": _("e.g. Reception")})
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What this agent is for (only your team sees it).")}),
    )
    instructions = forms.CharField(
        label=_("Instructions"),
        widget=forms.Textarea(
            attrs={
                "rows": 14,
                "class": "agent-instructions",
                "placeholder": _(
                    "You are the receptionist of Café Sol. We open Monday to Saturday from 8:00 to 20:00. "
                    "Answer questions about the menu and take table bookings…"
                ),
            }
        ),
        help_text=_("Who the agent is, what it knows and how it should behave. Customers never see this text."),
    )
    greeting = forms.CharField(
        label=_("Greeting"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Hi! How can I help you today?")}),
        help_text=_("The first message on channels that open the conversation (web widget, phone calls)."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=LANGUAGE_CHOICES,
        help_text=_("The agent replies in this language unless the customer writes in another one."),
    )
    model = forms.CharField(
        label=_("Model"),
        max_length=200,
        widget=forms.TextInput(attrs={"list": MODEL_DATALIST_ID, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Write it as provider/model. demo/assistant answers offline with sample text and costs nothing."),
    )
    fallback_models = FallbackModelsField(
        label=_("Fallback models"),
        required=False,
        help_text=_("Tried in order when the main model fails. One per line."),
    )
    credential = CredentialChoiceField(
        label=_("Provider key"),
        queryset=ProviderCredential.unscoped.none(),  # tenant-bypass: replaced per organization in __init__
        required=False,
        empty_label=_("Automatic: your key for the model's provider"),
    )
    temperature = forms.FloatField(
        label=_("Temperature"),
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "2"}),
        help_text=_("0 = steady answers, 2 = most creative."),
    )
    max_output_tokens = forms.IntegerField(
        label=_("Max reply tokens"), widget=forms.NumberInput(attrs={"min": "1", "max": "32000"})
    )
    memory_window = forms.IntegerField(
        label=_("Memory (messages)"),
        widget=forms.NumberInput(attrs={"min": "0", "max": "200"}),
        help_text=_("How many earlier messages of the conversation the agent reads before replying."),
    )
    tools = forms.MultipleChoiceField(label=_("Tools"), required=False, widget=forms.CheckboxSelectMultiple, choices=())
    handoff_phone_number = forms.CharField(
        label=_("Hand-off phone number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+34600111222", "autocomplete": "off"}),
        help_text=_("Where calls go when a customer asks for a person. International format."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["credential"].queryset = organization.providercredentials.order_by("provider", "name")  # type: ignore[attr-defined]
        self.fields["tools"].choices = [(tool.name, tool.label) for tool in available_tools()]  # type: ignore[attr-defined]

    @classmethod
    def for_agent(cls, agent: Agent, data: Any = None) -> AgentForm:
        initial = {name: getattr(agent, name) for name in AGENT_FIELDS}
        initial["credential"] = agent.credential_id
        return cls(data, organization=agent.organization, initial=initial)

    @classmethod
    def blank(cls, organization: Organization, data: Any = None) -> AgentForm:
        initial = {
            "model": DEMO_MODEL,
            "temperature": 0.3,
            "max_output_tokens": 512,
            "memory_window": 20,
            "language": "en" if (translation.get_language() or "").startswith("en") else "es",
        }
        return cls(data, organization=organization, initial=initial)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_handoff_phone_number(self) -> str:
        number = re.sub(r"[\s\-().]", "", self.cleaned_data["handoff_phone_number"])
        if number and not PHONE_NUMBER.match(number):
            raise forms.ValidationError(_("Use the international format with the country code, e.g. +34600111222."))
        return number

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Only fields that parsed cleanly go to the domain check; the rest already have errors.
        data = {name: cleaned[name] for name in AGENT_FIELDS if name in cleaned and name not in self.errors}
        self.apply_errors(agent_validate(organization=self.organization, data=data))
        return cleaned

    def apply_errors(self, errors: dict[str, Any]) -> None:
        """Show service field errors next to their fields (unknown keys at the top)."""
        for field, messages in errors.items():
            for message in messages if isinstance(messages, list | tuple) else [messages]:
                self.add_error(field if field in self.fields else None, str(message))

    def agent_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in AGENT_FIELDS}

    def model_suggestions(self) -> list[tuple[str, str]]:
        """(value, label) pairs for the model datalist: the catalog, then the providers of
        this organization's keys (so an OpenAI-compatible endpoint shows up too)."""
        credentials = list(self.fields["credential"].queryset)  # type: ignore[attr-defined]
        own_providers = {credential.provider for credential in credentials}
        suggestions = []
        for model in SUGGESTED_MODELS:
            if model_error(model):  # never suggest what the form would then reject
                continue
            if model == DEMO_MODEL:
                label = str(_("Demo: offline sample answers, free"))
            elif provider_of(model) in own_providers:
                label = str(_("Uses your key"))
            else:
                label = ""
            suggestions.append((model, label))
        for provider in sorted(own_providers):
            if not any(provider_of(model) == provider for model in SUGGESTED_MODELS):
                suggestions.append((f"{provider}/", str(Provider(provider).label)))
        return suggestions


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("What changed? (optional)")}),
    )


class RollbackForm(forms.Form):
    version = forms.CharField(max_length=24)


class PlaygroundMessageForm(forms.Form):
    message = forms.CharField(max_length=MAX_PLAYGROUND_MESSAGE_CHARS)
    conversation = forms.CharField(max_length=24, required=False)
    fresh = forms.BooleanField(required=False)


class ProviderCredentialForm(forms.Form):
    provider = forms.ChoiceField(label=_("Provider"), choices=Provider.choices)
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        initial="default",
        help_text=_("Keep “default” unless you use several keys for the same provider."),
    )
    api_key = forms.CharField(
        label=_("API key"),
        min_length=8,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Stored encrypted. Nobody can read it back, not even you: paste a new one to replace it."),
    )
    base_url = forms.URLField(
        label=_("Base URL"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://llm.example.com/v1"}),
        help_text=_("Only for OpenAI-compatible endpoints."),
    )


class ConversationFilterForm(forms.Form):
    agent = forms.ChoiceField(label=_("Agent"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agents = list(organization.agents.order_by("name"))
        self.fields["agent"].choices = [("", _("All agents")), *((str(a.pk), a.name) for a in self.agents)]  # type: ignore[attr-defined]

    def selector_filters(self) -> dict[str, Any]:
        """The `conversation_list` filters of a valid form: ids as ObjectIds, dates as whole
        days in the current time zone (`until` includes its day)."""
        data = self.cleaned_data
        agent = next((a for a in self.agents if str(a.pk) == data["agent"]), None)
        filters: dict[str, Any] = {"agent": agent.pk if agent else None, "channel": data["channel"]}
        zone = timezone.get_current_timezone()
        if data["since"]:
            filters["since"] = datetime.datetime.combine(data["since"], datetime.time.min, tzinfo=zone)
        if data["until"]:
            next_day = data["until"] + datetime.timedelta(days=1)
            filters["until"] = datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zone)
        return filters

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)
