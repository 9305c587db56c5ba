"""BackOffice forms of the web component: they parse input; services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from channels_app.widget.models import WidgetKey, WidgetSession
from channels_app.widget.services.keys import widget_key_validate
from channels_app.widget.theme import MAX_LENGTHS, POSITIONS, THEME_KEYS
from myagent.lookups import find_by_id

DEFAULT_PRIMARY_COLOR = "#2563eb"  # the widget's own default
POSITION_LABELS = {"right": _("Bottom right"), "left": _("Bottom left")}


class WidgetKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Online store")}),
        help_text=_("Where this chat is used, for your own reference."),
    )
    agent = forms.ChoiceField(label=_("Agent"), help_text=_("The agent that answers visitors."))
    allowed_origins = forms.CharField(
        label=_("Allowed websites"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "spellcheck": "false", "placeholder": "https://www.example.com\nhttps://*.example.com"}
        ),
        help_text=_(
            "One origin per line: https:// plus the domain, no path. Use https://*.example.com for every "
            "subdomain. The chat refuses to run on any other website."
        ),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["agent"].choices = [  # type: ignore[attr-defined]
            (str(agent.pk), agent.name) for agent in organization.agents.order_by("name")
        ]

    def clean_agent(self) -> Any:
        agent = find_by_id(self.organization.agents.all(), self.cleaned_data["agent"])
        if agent is None:
            raise forms.ValidationError(_("Choose one of your agents."))
        return agent

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        data = {name: cleaned[name] for name in self.service_fields() if name in cleaned}
        clean, errors = widget_key_validate(organization=self.organization, data=data)
        for field, messages in errors.items():
            name = field.removeprefix("theme.") if field.startswith("theme.") else field
            self.add_error(name if name in self.fields else None, messages)
        cleaned.update({name: clean[name] for name in clean if name in self.service_fields()})
        return cleaned

    def service_fields(self) -> tuple[str, ...]:
        return ("name", "agent", "allowed_origins")

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.service_fields()}


class WidgetKeySettingsForm(WidgetKeyForm):
    """Everything of a key: the create fields, on/off and the theme."""

    enabled = forms.BooleanField(
        label=_("Enabled"), required=False, help_text=_("Turning it off closes every open chat at once.")
    )
    primary_color = forms.CharField(
        label=_("Main colour"), widget=forms.TextInput(attrs={"type": "color"}), initial=DEFAULT_PRIMARY_COLOR
    )
    position = forms.ChoiceField(label=_("Position"), choices=[(value, POSITION_LABELS[value]) for value in POSITIONS])
    title = forms.CharField(
        label=_("Title"), required=False, max_length=MAX_LENGTHS["title"], help_text=_("Default: the agent's name.")
    )
    launcher_text = forms.CharField(
        label=_("Launcher text"),
        required=False,
        max_length=MAX_LENGTHS["launcher_text"],
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Need help?")}),
        help_text=_("Shown on the chat button. Empty: an icon only."),
    )
    avatar_url = forms.URLField(
        label=_("Avatar image URL"),
        required=False,
        max_length=MAX_LENGTHS["avatar_url"],
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://www.example.com/logo.png"}),
    )

    @classmethod
    def initial_for(cls, widget_key: WidgetKey) -> dict[str, Any]:
        theme = widget_key.theme or {}
        return {
            "name": widget_key.name,
            "agent": str(widget_key.agent_id),
            "allowed_origins": "\n".join(widget_key.allowed_origins),
            "enabled": widget_key.enabled,
            "primary_color": theme.get("primary_color") or DEFAULT_PRIMARY_COLOR,
            "position": theme.get("position") or POSITIONS[0],
            "title": theme.get("title", ""),
            "launcher_text": theme.get("launcher_text", ""),
            "avatar_url": theme.get("avatar_url", ""),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        theme = {key: cleaned.get(key) or "" for key in THEME_KEYS if key in self.fields}
        clean, errors = widget_key_validate(organization=self.organization, data={"theme": theme})
        for field, messages in errors.items():
            name = field.removeprefix("theme.")
            self.add_error(name if name in self.fields else None, messages)
        cleaned["theme"] = clean.get("theme", {})
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {**super().service_data(), "enabled": self.cleaned_data["enabled"], "theme": self.cleaned_data["theme"]}


class WidgetSessionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *WidgetSession.Status.choices]
    )
    widget_key = forms.ChoiceField(label=_("Key"), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["widget_key"].choices = [  # type: ignore[attr-defined]
            ("", _("All keys")),
            *((str(key.pk), key.name) for key in organization.widgetkeys.order_by("name")),
        ]

    def selector_filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}
