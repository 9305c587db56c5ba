from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def organization(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    if membership is None or not membership:
        return {"all_memberships": []}
    return {
        "current_membership": membership,
        "current_organization": membership.organization,
        "all_memberships": list(user.memberships.select_related("organization").order_by("created_at")),
    }
