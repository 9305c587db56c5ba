"""Agent pages: list, create, edit the draft, publish, version history, rollback, delete.

Members may look at agents (and use the playground); admins change them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Role
from accounts.pages.base import OrganizationPage, PageRequest
from agents.models import Agent
from agents.pages.draft_status import DraftStatus, agent_draft_status
from agents.pages.forms import MODEL_DATALIST_ID, AgentForm, PublishForm, RollbackForm
from agents.services.agents import agent_create, agent_delete, agent_publish, agent_rollback, agent_update
from myagent.errors import ValidationFailed
from myagent.lookups import get_or_404


class AgentPage(OrganizationPage):
    """Base for pages about one agent: tenant-rooted lookup and the shared header context."""

    def get_agent(self, agent_id: str) -> Agent:
        return get_or_404(self.organization.agents.select_related("published_version", "credential"), agent_id)

    def agent_context(self, agent: Agent, **extra: Any) -> dict[str, Any]:
        return {
            "agent": agent,
            "draft": agent_draft_status(agent=agent),
            "can_manage": self.membership.has_role(Role.ADMIN),
            "publish_form": PublishForm(),
            **extra,
        }

    def form_context(self, agent: Agent | None, form: AgentForm) -> dict[str, Any]:
        context: dict[str, Any] = self.agent_context(agent) if agent else {"can_manage": True}
        draft: DraftStatus | None = context.get("draft")
        changed = draft.changed_fields if draft else []
        return {
            **context,
            "form": form,
            "datalist_id": MODEL_DATALIST_ID,
            "changed_labels": [_field_label(form, name) for name in changed],
        }


class AgentListPage(OrganizationPage):
    def get(self, request: PageRequest) -> HttpResponse:
        agents = self.organization.agents.select_related("published_version").order_by("name")
        rows = [{"agent": agent, "draft": agent_draft_status(agent=agent)} for agent in agents]
        context = {"rows": rows, "can_manage": self.membership.has_role(Role.ADMIN)}
        return TemplateResponse(request, "agents/agent_list.html", context)


class AgentCreatePage(AgentPage):
    required_role = Role.ADMIN

    def get(self, request: PageRequest) -> HttpResponse:
        form = AgentForm.blank(self.organization)
        return TemplateResponse(request, "agents/agent_form.html", self.form_context(None, form))

    def post(self, request: PageRequest) -> HttpResponse:
        form = AgentForm.blank(self.organization, request.POST)
        if form.is_valid():
            fields = form.agent_fields()
            try:
                agent = agent_create(organization=self.organization, **fields)
            except ValidationFailed as exc:
                form.apply_errors(exc.fields)
            else:
                messages.success(
                    request,
                    _("“%(name)s” is ready as a draft. Try it in the playground, then publish it.")
                    % {"name": agent.name},
                )
                return redirect("backoffice:agent_detail", agent_id=agent.pk)
        return TemplateResponse(request, "agents/agent_form.html", self.form_context(None, form), status=400)


class AgentDetailPage(AgentPage):
    """The draft's settings. Members see them read-only; the form posts to `agent_edit`."""

    def get(self, request: PageRequest, agent_id: str) -> HttpResponse:
        agent = self.get_agent(agent_id)
        return TemplateResponse(request, "agents/agent_form.html", self.form_context(agent, AgentForm.for_agent(agent)))


class AgentEditPage(AgentPage):
    required_role = Role.ADMIN

    def get(self, request: PageRequest, agent_id: str) -> HttpResponse:
        return redirect("backoffice:agent_detail", agent_id=self.get_agent(agent_id).pk)

    def post(self, request: PageRequest, agent_id: str) -> HttpResponse:
        agent = self.get_agent(agent_id)
        form = AgentForm.for_agent(agent, request.POST)
        if form.is_valid():
            try:
                agent_update(organization=self.organization, agent=agent, **form.agent_fields())
            except ValidationFailed as exc:
                form.apply_errors(exc.fields)
            else:
                messages.success(
                    request, _("Draft saved. Channels keep serving the published version until you publish.")
                )
                return redirect("backoffice:agent_detail", agent_id=agent.pk)
        return TemplateResponse(request, "agents/agent_form.html", self.form_context(agent, form), status=400)


class AgentVersionsPage(AgentPage):
    def get(self, request: PageRequest, agent_id: str) -> HttpResponse:
        agent = self.get_agent(agent_id)
        return TemplateResponse(request, "agents/agent_versions.html", self.versions_context(agent))

    def versions_context(self, agent: Agent) -> dict[str, Any]:
        versions = agent.versions.select_related("created_by").order_by("-number")
        return self.agent_context(agent, versions=versions)


class AgentPublishPage(AgentPage):
    required_role = Role.ADMIN

    def post(self, request: PageRequest, agent_id: str) -> HttpResponse:
        agent = self.get_agent(agent_id)
        form = PublishForm(request.POST)
        if not form.is_valid():
            raise ValidationFailed(fields=form.errors.get_json_data())
        version = agent_publish(
            organization=self.organization, agent=agent, user=request.user, note=form.cleaned_data["note"]
        )
        messages.success(
            request,
            _("Version %(number)d of “%(name)s” is live on every channel.")
            % {"number": version.number, "name": agent.name},
        )
        return _navigate(request, reverse("backoffice:agent_versions", kwargs={"agent_id": agent.pk}))


class AgentRollbackPage(AgentVersionsPage):
    required_role = Role.ADMIN

    def get(self, request: PageRequest, agent_id: str) -> HttpResponse:
        return redirect("backoffice:agent_versions", agent_id=self.get_agent(agent_id).pk)

    def post(self, request: PageRequest, agent_id: str) -> HttpResponse:
        agent = self.get_agent(agent_id)
        form = RollbackForm(request.POST)
        if not form.is_valid():
            raise ValidationFailed(fields=form.errors.get_json_data())
        version = agent_rollback(organization=self.organization, agent=agent, version_id=form.cleaned_data["version"])
        messages.success(
            request,
            _("Channels now serve version %(number)d again, and the draft was reset to it.")
            % {"number": version.number},
        )
        if request.htmx:
            return TemplateResponse(request, "agents/partials/versions_swap.html", self.versions_context(agent))
        return redirect("backoffice:agent_versions", agent_id=agent.pk)


class AgentDeletePage(AgentPage):
    required_role = Role.ADMIN

    def post(self, request: PageRequest, agent_id: str) -> HttpResponse:
        agent = self.get_agent(agent_id)
        name = agent.name
        agent_delete(organization=self.organization, agent=agent)
        messages.success(request, _("“%(name)s” and its conversations were deleted.") % {"name": name})
        return _navigate(request, reverse("backoffice:agent_list"))


def _field_label(form: AgentForm, name: str) -> str:
    if name in form.fields:
        return str(form.fields[name].label)
    return str(getattr(Agent._meta.get_field(name), "verbose_name", name))


def _navigate(request: PageRequest, url: str) -> HttpResponse:
    """A full-page navigation, also when the request came from htmx."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
