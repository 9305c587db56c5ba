from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.pages.base import OrganizationPage


class HomePage(OrganizationPage):
    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(request, "backoffice/home.html", {})
