from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.base import OrganizationViewSet
from agents.api.serializers import (
    AgentSerializer,
    AgentVersionSerializer,
    ConversationDetailSerializer,
    ConversationFilterSerializer,
    ConversationSerializer,
    ProviderCredentialSerializer,
    PublishSerializer,
    RollbackSerializer,
)
from agents.models import Agent, ProviderCredential
from agents.selectors import conversation_list
from agents.services.agents import agent_create, agent_delete, agent_publish, agent_rollback, agent_update
from agents.services.credentials import provider_credential_create, provider_credential_delete
from myagent.lookups import get_or_404, parse_object_id


class ProviderCredentialViewSet(OrganizationViewSet):
    serializer_class = ProviderCredentialSerializer

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(ProviderCredential.objects.order_by("provider", "name"))
        return self.get_paginated_response(ProviderCredentialSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        serializer = ProviderCredentialSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = provider_credential_create(organization=self.organization, **serializer.validated_data)
        return Response(ProviderCredentialSerializer(credential).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        provider_credential_delete(organization=self.organization, credential_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgentViewSet(OrganizationViewSet):
    serializer_class = AgentSerializer

    def get_queryset(self) -> Any:
        return Agent.objects.select_related("published_version").order_by("name")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AgentSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AgentSerializer(get_or_404(self.get_queryset(), pk)).data)

    def create(self, request: Request) -> Response:
        serializer = AgentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        agent = agent_create(organization=self.organization, **serializer.validated_data)
        return Response(AgentSerializer(agent).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        agent = get_or_404(self.get_queryset(), pk)
        serializer = AgentSerializer(agent, data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        agent = agent_update(organization=self.organization, agent=agent, **serializer.validated_data)
        return Response(AgentSerializer(agent).data)

    def update(self, request: Request, pk: str) -> Response:
        agent = get_or_404(self.get_queryset(), pk)
        serializer = AgentSerializer(agent, data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        agent = agent_update(organization=self.organization, agent=agent, **serializer.validated_data)
        return Response(AgentSerializer(agent).data)

    def destroy(self, request: Request, pk: str) -> Response:
        agent_delete(organization=self.organization, agent=get_or_404(self.get_queryset(), pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PublishSerializer, responses={201: AgentVersionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        agent = get_or_404(self.get_queryset(), pk)
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = agent_publish(organization=self.organization, agent=agent, note=serializer.validated_data["note"])
        return Response(AgentVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AgentVersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str) -> Response:
        agent = get_or_404(self.get_queryset(), pk)
        page = self.paginate_queryset(agent.versions.order_by("-number"))
        return self.get_paginated_response(AgentVersionSerializer(page, many=True).data)

    @extend_schema(request=RollbackSerializer, responses=AgentVersionSerializer)
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str) -> Response:
        agent = get_or_404(self.get_queryset(), pk)
        serializer = RollbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = agent_rollback(
            organization=self.organization, agent=agent, version_id=serializer.validated_data["version"]
        )
        return Response(AgentVersionSerializer(version).data)


class ConversationViewSet(OrganizationViewSet):
    serializer_class = ConversationSerializer

    @extend_schema(parameters=[ConversationFilterSerializer])
    def list(self, request: Request) -> Response:
        filters = ConversationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        if "agent" in data:
            data["agent"] = parse_object_id(data["agent"]) or "000000000000000000000000"
        page = self.paginate_queryset(conversation_list(organization=self.organization, filters=data))
        return self.get_paginated_response(ConversationSerializer(page, many=True).data)

    @extend_schema(responses=ConversationDetailSerializer, parameters=[OpenApiParameter("id", str, "path")])
    def retrieve(self, request: Request, pk: str) -> Response:
        conversation = get_or_404(self.organization.conversations.select_related("contact"), pk)
        return Response(ConversationDetailSerializer(conversation).data)
