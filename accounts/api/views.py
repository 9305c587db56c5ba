from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.base import OrganizationAPIView, OrganizationViewSet
from accounts.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    OrganizationSerializer,
)
from accounts.models import ApiKey
from accounts.services.api_keys import api_key_create, api_key_revoke
from myagent.lookups import get_or_404


class OrganizationView(OrganizationAPIView):
    serializer_class = OrganizationSerializer

    def get(self, request: Request) -> Response:
        return Response(OrganizationSerializer(self.organization).data)


class ApiKeyViewSet(OrganizationViewSet):
    serializer_class = ApiKeySerializer

    def get_queryset(self) -> Any:
        return ApiKey.objects.order_by("-created_at")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ApiKeySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ApiKeySerializer(get_or_404(self.get_queryset(), pk)).data)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request: Request) -> Response:
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, raw = api_key_create(organization=self.organization, **serializer.validated_data)
        data = ApiKeySerializer(api_key).data | {"key": raw}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        api_key = api_key_revoke(organization=self.organization, key_id=pk)
        return Response(ApiKeySerializer(api_key).data)
