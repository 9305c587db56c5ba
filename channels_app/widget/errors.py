"""Domain errors of the web component; codes are the widget's contract (examples/README.md)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from myagent.errors import ApplicationError, Forbidden, RateLimited


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"
    default_message = _("This website is not allowed to use this chat. Add its origin to the widget key.")


class KeyDisabled(Forbidden):
    code = "key_disabled"
    default_message = _("This chat is disabled.")


class InvalidIdentity(Forbidden):
    code = "invalid_identity"
    default_message = _("The user_hash does not match the user_id.")


class WidgetUnavailable(ApplicationError):
    """The agent can't answer now (unpublished, no balance): try again later."""

    status_code = 503
    code = "unavailable"
    default_message = _("The assistant is unavailable right now. Please try again later.")


class SessionClosed(Forbidden):
    """The session was revoked, or its key disabled or its organization suspended, meanwhile."""

    code = "session_closed"
    default_message = _("This conversation has ended.")


class WidgetRateLimited(RateLimited):
    def __init__(self, *, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after
