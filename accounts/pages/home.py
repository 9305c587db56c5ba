from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpResponse
from django.template.response import TemplateResponse

from accounts.pages.base import OrganizationPage, PageRequest
from myagent.navigation import navigation_for

# The dashboard links to every other page the viewer can open, except itself and the
# personal settings that already live in the user menu.
QUICK_LINK_EXCLUDES = {"home", "account_settings"}


class HomePage(OrganizationPage):
    def get(self, request: PageRequest) -> HttpResponse:
        quick_links = [
            item
            for item in navigation_for(membership=self.membership, path=request.path)
            if item.url_name not in QUICK_LINK_EXCLUDES
        ]
        context = {
            "quick_links": quick_links,
            "member_count": self.organization.memberships.count(),
            "mfa_enabled": is_mfa_enabled(request.user),
        }
        return TemplateResponse(request, "backoffice/home.html", context)
