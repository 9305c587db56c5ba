"""BackOffice pages of the web component.

"Web component" (admins): keys, their allowed websites and theme with a live preview, the
snippet to paste, and the identity secret. "Sessions" (every member): visitors' chats,
with the transcript; admins can revoke one, which closes its live socket at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.pages.base import OrganizationPage, PageRequest
from channels_app.widget.forms import WidgetKeyForm, WidgetKeySettingsForm, WidgetSessionFilterForm
from channels_app.widget.script import widget_script
from channels_app.widget.selectors import (
    widget_key_get,
    widget_key_list,
    widget_session_get,
    widget_session_list,
    widget_session_messages,
)
from channels_app.widget.services.keys import (
    widget_key_create,
    widget_key_update,
    widget_secret_get,
    widget_secret_rotate,
)
from channels_app.widget.services.sessions import widget_session_revoke
from channels_app.widget.snippets import widget_snippet

PAGE_SIZE = 25


class WidgetListPage(OrganizationPage):
    required_role = Role.ADMIN

    def context(self, form: WidgetKeyForm | None = None) -> dict[str, Any]:
        return {
            "widget_keys": widget_key_list(organization=self.organization),
            "form": form or WidgetKeyForm(organization=self.organization),
            "has_agents": self.organization.agents.exists(),
            "secret": widget_secret_get(organization=self.organization),
        }

    def get(self, request: PageRequest) -> HttpResponse:
        return TemplateResponse(request, "widget/widget_list.html", self.context())

    def post(self, request: PageRequest) -> HttpResponse:
        form = WidgetKeyForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return TemplateResponse(request, "widget/widget_list.html", self.context(form), status=400)
        widget_key = widget_key_create(organization=self.organization, created_by=request.user, **form.service_data())
        messages.success(request, _("Key created. Set its look, then paste the snippet into your website."))
        return redirect("backoffice:widget_key_detail", widget_key.pk)


class WidgetKeyDetailPage(OrganizationPage):
    required_role = Role.ADMIN

    def context(self, widget_key: Any, form: WidgetKeySettingsForm | None = None) -> dict[str, Any]:
        script = widget_script()
        return {
            "widget_key": widget_key,
            "form": form
            or WidgetKeySettingsForm(
                initial=WidgetKeySettingsForm.initial_for(widget_key), organization=self.organization
            ),
            "snippet": widget_snippet(widget_key=widget_key),
            "script": script,
        }

    def get(self, request: PageRequest, key_id: str) -> HttpResponse:
        widget_key = widget_key_get(organization=self.organization, widget_key_id=key_id)
        return TemplateResponse(request, "widget/widget_key_detail.html", self.context(widget_key))

    def post(self, request: PageRequest, key_id: str) -> HttpResponse:
        widget_key = widget_key_get(organization=self.organization, widget_key_id=key_id)
        form = WidgetKeySettingsForm(request.POST, organization=self.organization)
        if not form.is_valid():
            context = self.context(widget_key, form)
            return TemplateResponse(request, "widget/widget_key_detail.html", context, status=400)
        widget_key_update(organization=self.organization, widget_key=widget_key, **form.service_data())
        messages.success(request, _("Saved. Websites using this key show the changes on their next page view."))
        return redirect("backoffice:widget_key_detail", widget_key.pk)


class WidgetSecretRotatePage(OrganizationPage):
    required_role = Role.ADMIN

    def post(self, request: PageRequest) -> HttpResponse:
        widget_secret_rotate(organization=self.organization)
        messages.success(
            request, _("New secret created. Update it on your server: hashes made with the old one fail now.")
        )
        return redirect("backoffice:widget_list")


class WidgetSessionListPage(OrganizationPage):
    def get(self, request: PageRequest) -> HttpResponse:
        form = WidgetSessionFilterForm(request.GET or None, organization=self.organization)
        sessions = widget_session_list(organization=self.organization, filters=form.selector_filters())
        page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_revoke": self.membership.has_role(Role.ADMIN),
        }
        return TemplateResponse(request, "widget/session_list.html", context)


class WidgetSessionDetailPage(OrganizationPage):
    def get(self, request: PageRequest, session_id: str) -> HttpResponse:
        session = widget_session_get(organization=self.organization, session_id=session_id)
        context = {
            "session": session,
            "transcript": list(widget_session_messages(session=session)),
            "can_revoke": self.membership.has_role(Role.ADMIN),
        }
        return TemplateResponse(request, "widget/session_detail.html", context)


class WidgetSessionRevokePage(OrganizationPage):
    required_role = Role.ADMIN

    def post(self, request: PageRequest, session_id: str) -> HttpResponse:
        session = widget_session_get(organization=self.organization, session_id=session_id)
        session = widget_session_revoke(organization=self.organization, session=session, revoked_by=request.user)
        messages.success(request, _("Session revoked. The visitor's chat was closed."))
        if request.htmx:
            context = {"session": session, "can_revoke": True, "swap_messages": True}
            return TemplateResponse(request, "widget/partials/session_row.html", context)
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("backoffice:widget_session_detail", session.pk)
