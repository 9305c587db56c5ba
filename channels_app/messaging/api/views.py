from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.base import OrganizationViewSet
from channels_app.messaging.api.serializers import (
    ChannelConnectionSerializer,
    ChannelConnectionUpdateSerializer,
    TwilioAccountSerializer,
    TwilioAccountUpdateSerializer,
)
from channels_app.messaging.selectors import channel_connection_list, twilio_account_list
from channels_app.messaging.services.accounts import (
    twilio_account_create,
    twilio_account_delete,
    twilio_account_update,
)
from channels_app.messaging.services.connections import (
    channel_connection_create,
    channel_connection_delete,
    channel_connection_update,
)
from myagent.lookups import get_or_404


class TwilioAccountViewSet(OrganizationViewSet):
    serializer_class = TwilioAccountSerializer

    def get_queryset(self) -> Any:
        return twilio_account_list(organization=self.organization)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TwilioAccountSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(TwilioAccountSerializer(get_or_404(self.get_queryset(), pk)).data)

    def create(self, request: Request) -> Response:
        serializer = TwilioAccountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = twilio_account_create(organization=self.organization, **serializer.validated_data)
        return Response(TwilioAccountSerializer(account).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TwilioAccountUpdateSerializer, responses=TwilioAccountSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        account = get_or_404(self.get_queryset(), pk)
        serializer = TwilioAccountUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        account = twilio_account_update(organization=self.organization, account=account, **serializer.validated_data)
        return Response(TwilioAccountSerializer(account).data)

    def destroy(self, request: Request, pk: str) -> Response:
        twilio_account_delete(organization=self.organization, account=get_or_404(self.get_queryset(), pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelConnectionViewSet(OrganizationViewSet):
    serializer_class = ChannelConnectionSerializer

    def get_queryset(self) -> Any:
        return channel_connection_list(organization=self.organization)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChannelConnectionSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ChannelConnectionSerializer(get_or_404(self.get_queryset(), pk)).data)

    def create(self, request: Request) -> Response:
        serializer = ChannelConnectionSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        connection = channel_connection_create(organization=self.organization, **serializer.validated_data)
        return Response(ChannelConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChannelConnectionUpdateSerializer, responses=ChannelConnectionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        connection = get_or_404(self.get_queryset(), pk)
        serializer = ChannelConnectionUpdateSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        connection = channel_connection_update(
            organization=self.organization, connection=connection, **serializer.validated_data
        )
        return Response(ChannelConnectionSerializer(connection).data)

    def destroy(self, request: Request, pk: str) -> Response:
        channel_connection_delete(organization=self.organization, connection=get_or_404(self.get_queryset(), pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
