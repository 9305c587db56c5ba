"""Base for every BackOffice page: login, active membership, role, tenant scope."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.views import View
from django_htmx.middleware import HtmxDetails

from accounts.models import Membership, Organization, Role, User
from accounts.tenancy import tenant_scope


class PageRequest(HttpRequest):
    """The request a signed-in BackOffice view sees (for type checking only): our
    middleware stack guarantees `htmx` and `membership`, login guarantees `user`."""

    user: User
    htmx: HtmxDetails
    membership: Membership | None


class OrganizationPageMixin(LoginRequiredMixin):
    """Sets `self.membership` / `self.organization` and runs the view inside its scope.

    `required_role` is the least role allowed (member < admin < owner). Suspended
    organizations get an explanatory page instead of the BackOffice.
    """

    required_role: str = Role.MEMBER
    membership: Membership
    organization: Organization

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = request.membership  # type: ignore[attr-defined]
        if not membership:
            return redirect("backoffice:organization_create")
        if membership.organization.is_suspended:
            return render(request, "backoffice/suspended.html", {"organization": membership.organization}, status=403)
        if not membership.has_role(self.required_role):
            return render(request, "backoffice/forbidden.html", status=403)
        self.membership = membership
        self.organization = membership.organization
        with tenant_scope(self.organization):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # lazy TemplateResponses must render inside the scope
            return response


class OrganizationPage(OrganizationPageMixin, View):
    pass
