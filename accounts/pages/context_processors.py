"""Template context for the BackOffice shell (add to TEMPLATES' context_processors)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from myagent.navigation import navigation_for, navigation_sections


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`backoffice_nav`: the sidebar sections for the active membership, built only when a
    template actually renders the shell (API and allauth JSON responses never pay for it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def build() -> list[Any]:
        membership = getattr(request, "membership", None) or None
        return navigation_sections(navigation_for(membership=membership, path=request.path))

    return {"backoffice_nav": SimpleLazyObject(build)}
