"""Base classes for every organization API view: they enter the tenant scope."""

from __future__ import annotations

from contextvars import Token
from typing import Any

from rest_framework import exceptions, generics, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKey, Organization
from accounts.tenancy import _current_organization


class OrganizationAPIMixin(APIView):
    """Resolves `self.organization` from the API key and scopes all ORM access to it."""

    organization: Organization
    _scope_token: Token[Any] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            raise exceptions.NotAuthenticated()
        self.organization = api_key.organization
        self._scope_token = _current_organization.set(self.organization)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        if self._scope_token is not None:
            _current_organization.reset(self._scope_token)
            self._scope_token = None
        return super().finalize_response(request, response, *args, **kwargs)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["organization"] = getattr(self, "organization", None)
        return context


class OrganizationAPIView(OrganizationAPIMixin, generics.GenericAPIView):
    pass


class OrganizationViewSet(OrganizationAPIMixin, viewsets.GenericViewSet):
    pass
