"""The signed-in person's own settings (not tied to an organization)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View

from accounts.pages.base import PageRequest
from accounts.pages.forms import AccountSettingsForm


class AccountSettingsPage(LoginRequiredMixin, View):
    def get(self, request: PageRequest) -> HttpResponse:
        form = AccountSettingsForm(instance=request.user)
        return TemplateResponse(request, "backoffice/account_settings.html", {"form": form})

    def post(self, request: PageRequest) -> HttpResponse:
        form = AccountSettingsForm(request.POST, instance=request.user)
        if not form.is_valid():
            return TemplateResponse(request, "backoffice/account_settings.html", {"form": form}, status=400)
        user = form.save()
        translation.activate(user.language)  # so the confirmation below is already in the new language
        messages.success(request, _("Your settings were saved."))
        response = redirect("backoffice:account_settings")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )
        return response
