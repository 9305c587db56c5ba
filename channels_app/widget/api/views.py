from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.base import OrganizationViewSet
from channels_app.widget.api.serializers import (
    WidgetKeySerializer,
    WidgetSessionDetailSerializer,
    WidgetSessionFilterSerializer,
    WidgetSessionSerializer,
)
from channels_app.widget.models import WidgetKey, WidgetSession
from channels_app.widget.selectors import (
    widget_key_get,
    widget_key_list,
    widget_session_get,
    widget_session_list,
    widget_session_messages,
)
from channels_app.widget.services.keys import widget_key_create, widget_key_update
from channels_app.widget.services.sessions import widget_session_revoke


class WidgetKeyViewSet(OrganizationViewSet):
    """Publishable keys of agents' web components: where each may run and how it looks."""

    serializer_class = WidgetKeySerializer
    queryset = WidgetKey.unscoped.none()  # tenant-bypass: always empty; tells the schema the id's type

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(widget_key_list(organization=self.organization))
        return self.get_paginated_response(WidgetKeySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        widget_key = widget_key_get(organization=self.organization, widget_key_id=pk)
        return Response(WidgetKeySerializer(widget_key).data)

    def create(self, request: Request) -> Response:
        serializer = WidgetKeySerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        widget_key = widget_key_create(organization=self.organization, **serializer.validated_data)
        return Response(WidgetKeySerializer(widget_key).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        widget_key = widget_key_get(organization=self.organization, widget_key_id=pk)
        serializer = WidgetKeySerializer(data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        widget_key = widget_key_update(
            organization=self.organization, widget_key=widget_key, **serializer.validated_data
        )
        return Response(WidgetKeySerializer(widget_key).data)


class WidgetSessionViewSet(OrganizationViewSet):
    """Visitors' chats through the web component; revoking one ends it at once."""

    serializer_class = WidgetSessionSerializer
    queryset = WidgetSession.unscoped.none()  # tenant-bypass: always empty; tells the schema the id's type

    @extend_schema(parameters=[WidgetSessionFilterSerializer])
    def list(self, request: Request) -> Response:
        filters = WidgetSessionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = widget_session_list(organization=self.organization, filters=dict(filters.validated_data))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WidgetSessionSerializer(page, many=True).data)

    @extend_schema(responses=WidgetSessionDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        session = widget_session_get(organization=self.organization, session_id=pk)
        context = {"messages": widget_session_messages(session=session)}
        return Response(WidgetSessionDetailSerializer(session, context=context).data)

    @extend_schema(request=None, responses=WidgetSessionSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        session = widget_session_get(organization=self.organization, session_id=pk)
        session = widget_session_revoke(organization=self.organization, session=session)
        return Response(WidgetSessionSerializer(session).data)
