from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.models import ApiKey


class HasApiKeyScope(permissions.BasePermission):
    """Safe methods need a read key, everything else a write key."""

    message = "This API key is read-only; use a key with the write scope."

    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False
        required = ApiKey.Scope.READ if request.method in permissions.SAFE_METHODS else ApiKey.Scope.WRITE
        return api_key.allows(required)
