"""The one page/htmx handler for domain errors (`myagent.errors.ApplicationError`).

Services raise; this middleware turns the exception into what a person should see:
a full page with the error's status code, or, for an htmx request, a toast appended
to the page's toast stack (`HX-Retarget: #toasts`, `HX-Reswap: beforeend`) so the
element that made the request stays as it was. API views never get here: DRF's
exception handler (`myagent.api_errors`) answers them first.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from myagent.errors import ApplicationError

API_PREFIX = "/api/"
TOAST_TARGET = "#toasts"

TITLES = {
    400: _("Please check what you entered"),
    402: _("Your balance is too low"),
    403: _("You can't do that"),
    404: _("We couldn't find that"),
    409: _("That can't be done right now"),
    410: _("This link can no longer be used"),
    429: _("Too many attempts"),
}
DEFAULT_TITLE = _("Something went wrong")


class PageErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError) or request.path.startswith(API_PREFIX):
            return None
        context = {
            "error": exception,
            "title": TITLES.get(exception.status_code, DEFAULT_TITLE),
            "message": exception.message,
            "field_errors": _field_messages(exception),
            "status_code": exception.status_code,
        }
        if getattr(request, "htmx", False):
            response = TemplateResponse(request, "partials/error_toast.html", context, status=exception.status_code)
            response["HX-Retarget"] = TOAST_TARGET
            response["HX-Reswap"] = "beforeend"
            return response.render()
        return TemplateResponse(
            request, "errors/application_error.html", context, status=exception.status_code
        ).render()


def _field_messages(exception: ApplicationError) -> list[str]:
    """Flatten `fields` ({"name": ["msg", …]} or Django's get_json_data shape) into lines."""
    lines: list[str] = []
    for messages in exception.fields.values():
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            text = message.get("message", "") if isinstance(message, dict) else str(message)
            if text and text not in lines:
                lines.append(text)
    return lines
