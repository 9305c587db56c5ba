from __future__ import annotations

from typing import Any

from rest_framework import serializers

from channels_app.widget.models import WidgetKey, WidgetSession
from channels_app.widget.origins import MAX_ORIGINS
from channels_app.widget.services.keys import widget_key_validate
from channels_app.widget.snippets import widget_snippet
from channels_app.widget.theme import theme_public
from myagent.lookups import find_by_id


class WidgetKeySerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=80)
    agent = serializers.CharField(max_length=24, help_text="Id of the agent the widget talks to.")
    key = serializers.CharField(read_only=True, help_text="Publishable key for the `agent-key` attribute.")
    allowed_origins = serializers.ListField(
        child=serializers.CharField(max_length=300),
        max_length=MAX_ORIGINS,
        help_text="Exact origins (https://shop.example.com) or subdomain wildcards (https://*.example.com).",
    )
    theme = serializers.JSONField(
        required=False, help_text="primary_color (#hex), position (right/left), title, avatar_url, launcher_text."
    )
    enabled = serializers.BooleanField(required=False, default=True)
    snippet = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: WidgetKey) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["agent"] = str(instance.agent_id)
        data["theme"] = theme_public(instance.theme)
        return data

    def get_snippet(self, widget_key: WidgetKey) -> str:
        return widget_snippet(widget_key=widget_key)

    def validate_agent(self, value: str) -> Any:
        organization = self.context["organization"]
        agent = find_by_id(organization.agents.all(), value)
        if agent is None:
            raise serializers.ValidationError("Unknown agent.")
        return agent

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        clean, errors = widget_key_validate(organization=self.context["organization"], data=attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return clean


class WidgetSessionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    widget_key = serializers.CharField(source="widget_key_id", read_only=True)
    agent = serializers.CharField(source="agent_id", read_only=True)
    conversation = serializers.CharField(source="conversation_id", read_only=True)
    visitor = serializers.CharField(source="visitor_label", read_only=True)
    verified = serializers.BooleanField(source="is_verified", read_only=True)
    status = serializers.ChoiceField(choices=WidgetSession.Status.choices, read_only=True)

    class Meta:
        model = WidgetSession
        fields = [
            "id", "widget_key", "agent", "conversation", "visitor", "verified", "user_id", "origin", "user_agent",
            "status", "started_at", "last_activity_at", "message_count", "revoked_at",
        ]  # fmt: skip
        read_only_fields = fields


class WidgetMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    role = serializers.CharField()
    content = serializers.CharField()
    created_at = serializers.DateTimeField()


class WidgetSessionDetailSerializer(WidgetSessionSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(WidgetSessionSerializer.Meta):
        fields = [*WidgetSessionSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    def get_messages(self, session: WidgetSession) -> list[dict[str, Any]]:
        return WidgetMessageSerializer(self.context["messages"], many=True).data  # type: ignore[return-value]


class WidgetSessionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WidgetSession.Status.choices, required=False)
    widget_key = serializers.CharField(required=False, max_length=24)
