"""BackOffice "Channels" page (admins): Twilio accounts, connected numbers, webhook URLs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages.base import OrganizationPage
from channels_app.messaging.forms import ChannelConnectionForm, TwilioAccountForm
from channels_app.messaging.selectors import channel_connection_list, twilio_account_list
from channels_app.messaging.services.accounts import twilio_account_create, twilio_account_delete
from channels_app.messaging.services.connections import (
    channel_connection_create,
    channel_connection_delete,
    channel_connection_update,
)
from channels_app.messaging.validators import mask
from channels_app.twilio.client import credentials_for
from channels_app.twilio.public_urls import all_webhook_urls
from myagent.errors import ApplicationError
from myagent.lookups import get_or_404

TEMPLATE = "channels_app/channel_list.html"


class ChannelPageBase(OrganizationPage):
    required_role = Role.ADMIN

    def context(
        self, connection_form: ChannelConnectionForm | None = None, account_form: TwilioAccountForm | None = None
    ) -> dict[str, Any]:
        accounts = list(twilio_account_list(organization=self.organization))
        for account in accounts:
            account.masked_sid = mask(account.account_sid)  # type: ignore[attr-defined]
        return {
            "connections": channel_connection_list(organization=self.organization),
            "twilio_accounts": accounts,
            "connection_form": connection_form or ChannelConnectionForm(organization=self.organization),
            "account_form": account_form or TwilioAccountForm(),
            "webhook_urls": all_webhook_urls()["messaging"],
            "has_platform_account": credentials_for(None) is not None,
            "has_published_agents": self.organization.agents.exclude(published_version=None).exists(),
        }

    def render_with_errors(self, request: HttpRequest, **forms_: Any) -> HttpResponse:
        return TemplateResponse(request, TEMPLATE, self.context(**forms_), status=400)


def _attach(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's domain error on the form that caused it."""
    for field, field_messages in (error.fields or {}).items():
        form.add_error(field if field in form.fields else None, field_messages)
    if not error.fields:
        form.add_error(None, error.message)


class ChannelListPage(ChannelPageBase):
    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(request, TEMPLATE, self.context())


class ChannelConnectionCreatePage(ChannelPageBase):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = ChannelConnectionForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.render_with_errors(request, connection_form=form)
        try:
            connection = channel_connection_create(organization=self.organization, **form.cleaned_data)
        except ApplicationError as error:
            _attach(form, error)
            return self.render_with_errors(request, connection_form=form)
        messages.success(
            request,
            _("%(number)s is connected. Paste the webhook URLs below into Twilio.") % {"number": connection.address},
        )
        return redirect("backoffice:channel_list")


class ChannelConnectionTogglePage(ChannelPageBase):
    def post(self, request: HttpRequest, connection_id: str) -> HttpResponse:
        connection = get_or_404(channel_connection_list(organization=self.organization), connection_id)
        connection = channel_connection_update(
            organization=self.organization, connection=connection, is_active=not connection.is_active
        )
        if connection.is_active:
            messages.success(request, _("%(number)s answers again.") % {"number": connection.address})
        else:
            messages.success(
                request, _("%(number)s is paused: messages to it are ignored.") % {"number": connection.address}
            )
        return redirect("backoffice:channel_list")


class ChannelConnectionDeletePage(ChannelPageBase):
    def post(self, request: HttpRequest, connection_id: str) -> HttpResponse:
        connection = get_or_404(channel_connection_list(organization=self.organization), connection_id)
        channel_connection_delete(organization=self.organization, connection=connection)
        messages.success(request, _("%(number)s was disconnected.") % {"number": connection.address})
        return redirect("backoffice:channel_list")


class TwilioAccountCreatePage(ChannelPageBase):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = TwilioAccountForm(request.POST)
        if not form.is_valid():
            return self.render_with_errors(request, account_form=form)
        try:
            account = twilio_account_create(organization=self.organization, **form.cleaned_data)
        except ApplicationError as error:
            _attach(form, error)
            return self.render_with_errors(request, account_form=form)
        messages.success(request, _("Twilio account “%(name)s” added.") % {"name": account.name})
        return redirect("backoffice:channel_list")


class TwilioAccountDeletePage(ChannelPageBase):
    def post(self, request: HttpRequest, account_id: str) -> HttpResponse:
        account = get_or_404(twilio_account_list(organization=self.organization), account_id)
        try:
            twilio_account_delete(organization=self.organization, account=account)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Twilio account “%(name)s” removed.") % {"name": account.name})
        return redirect("backoffice:channel_list")
