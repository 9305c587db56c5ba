from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agents.models import Agent, AgentVersion, Channel, Conversation, Message, ProviderCredential
from agents.services.agents import agent_validate
from agents.tools import available_tools
from myagent.lookups import find_by_id


class ProviderCredentialSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    api_key = serializers.CharField(write_only=True, min_length=8, max_length=500, trim_whitespace=True)
    masked_key = serializers.CharField(read_only=True)

    class Meta:
        model = ProviderCredential
        fields = ["id", "provider", "name", "api_key", "masked_key", "base_url", "created_at"]
        read_only_fields = ["id", "masked_key", "created_at"]


class AgentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    credential = serializers.CharField(required=False, allow_null=True, source="credential_id")
    fallback_models = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=5)
    tools = serializers.ListField(
        child=serializers.ChoiceField(choices=[t.name for t in available_tools()]), required=False
    )
    knowledge_bases = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    temperature = serializers.FloatField(min_value=0, max_value=2, required=False)
    max_output_tokens = serializers.IntegerField(min_value=1, max_value=32000, required=False)
    memory_window = serializers.IntegerField(min_value=0, max_value=200, required=False)
    language = serializers.ChoiceField(choices=[("es", "es"), ("en", "en")], required=False)
    published_version = serializers.SerializerMethodField()
    is_demo = serializers.BooleanField(source="uses_demo_model", read_only=True)

    class Meta:
        model = Agent
        fields = [
            "id", "name", "slug", "description", "model", "fallback_models", "credential", "instructions",
            "temperature", "max_output_tokens", "greeting", "language", "memory_window", "tools",
            "knowledge_bases", "handoff_phone_number", "voice", "status", "published_version", "is_demo",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "slug", "status", "published_version", "is_demo", "created_at", "updated_at"]

    def get_published_version(self, agent: Agent) -> int | None:
        version = agent.published_version
        return version.number if version else None

    def validate_credential(self, value: str | None) -> Any:
        if value in (None, ""):
            return None
        organization = self.context["organization"]
        credential = find_by_id(organization.providercredentials.all(), value)
        if credential is None:
            raise serializers.ValidationError("Unknown credential.")
        return credential

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "credential_id" in attrs:
            attrs["credential"] = attrs.pop("credential_id")
        errors = agent_validate(organization=self.context["organization"], data=attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AgentVersionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)

    class Meta:
        model = AgentVersion
        fields = ["id", "number", "snapshot", "note", "created_at"]


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class RollbackSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=24)


class ChatInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=4000, trim_whitespace=True)
    conversation_id = serializers.CharField(required=False, allow_null=True, max_length=24)
    contact = serializers.CharField(required=False, allow_null=True, max_length=200)


class UsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=14, decimal_places=8)
    model = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    timings_ms = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id", "role", "content", "media", "prompt_tokens", "completion_tokens", "cost", "model_used", "error",
            "delivery_status", "created_at", "received_at", "reply_sent_at", "timings_ms",
        ]  # fmt: skip

    def get_timings_ms(self, message: Message) -> dict[str, int | None]:
        return message.timings_ms() if message.role == Message.Role.ASSISTANT else {}


class ChatReplySerializer(serializers.Serializer):
    conversation_id = serializers.CharField()
    reply = MessageSerializer()
    usage = UsageSerializer()
    timings_ms = serializers.DictField(child=serializers.IntegerField(allow_null=True))


class ConversationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(read_only=True)
    agent = serializers.CharField(source="agent_id", read_only=True)
    contact = serializers.CharField(source="contact.external_id", read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "agent", "channel", "contact", "status", "bot_paused", "started_at", "last_message_at"]


class ConversationDetailSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]

    def get_messages(self, conversation: Conversation) -> list[dict[str, Any]]:
        messages = conversation.messages.exclude(role=Message.Role.TOOL).order_by("created_at", "pk")
        return MessageSerializer(messages, many=True).data  # type: ignore[return-value]


class ConversationFilterSerializer(serializers.Serializer):
    agent = serializers.CharField(required=False, max_length=24)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
