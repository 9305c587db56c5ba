from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership

SESSION_KEY = "organization_id"


def _active_membership(request: HttpRequest) -> Membership | None:
    """The membership of the organization the user picked in the switcher (or their first)."""
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = user.memberships.select_related("organization")  # type: ignore[union-attr,attr-defined]
    chosen = request.session.get(SESSION_KEY)
    membership = memberships.filter(organization_id=chosen).first() if chosen else None
    return membership or memberships.order_by("created_at").first()


class CurrentOrganizationMiddleware:
    """Attaches `request.membership` lazily. It does not enter the tenant scope: page
    base views do that, so code outside a view never runs with an implicit tenant."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: _active_membership(request))  # type: ignore[attr-defined]
        return self.get_response(request)
