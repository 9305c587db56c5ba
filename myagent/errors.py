"""Domain errors. `myagent.api_errors` and `myagent.page_errors` turn them into responses."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Base of every domain error; services raise these, views never build errors by hand."""

    status_code = 400
    code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(
        self, message: str | Promise | None = None, *, code: str | None = None, fields: dict[str, Any] | None = None
    ):
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    code = "invalid"


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(ApplicationError):
    status_code = 403
    code = "forbidden"
    default_message = _("You do not have permission to do this.")


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"


class OrganizationSuspended(Forbidden):
    code = "organization_suspended"
    default_message = _("This organization is suspended. Contact support.")


class PaymentRequired(ApplicationError):
    status_code = 402
    code = "insufficient_balance"
    default_message = _("The wallet balance is too low.")


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"
    default_message = _("Too many requests. Slow down.")
