from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from channels_app.messaging.validators import (
    mask,
    validate_account_sid,
    validate_api_key_sid,
    validate_content_sid,
    validate_e164,
    validate_messaging_service_sid,
)
from channels_app.models import ChannelConnection, TwilioAccount
from channels_app.twilio.public_urls import all_webhook_urls, webhook_urls_for
from myagent.lookups import find_by_id


class TwilioAccountSerializer(serializers.Serializer):
    """SIDs and secrets are write-only; responses show them masked."""

    id = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=80, required=False, default="Twilio")
    account_sid = serializers.CharField(write_only=True, validators=[validate_account_sid])
    auth_token = serializers.CharField(write_only=True, min_length=16, max_length=128)
    api_key_sid = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="", validators=[validate_api_key_sid]
    )
    api_key_secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, default="", max_length=128
    )
    messaging_service_sid = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[validate_messaging_service_sid]
    )
    account_sid_masked = serializers.SerializerMethodField()
    auth_token_masked = serializers.SerializerMethodField()
    api_key_sid_masked = serializers.SerializerMethodField()
    webhook_urls = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_account_sid_masked(self, account: TwilioAccount) -> str:
        return mask(account.account_sid)

    def get_auth_token_masked(self, account: TwilioAccount) -> str:
        return mask(str(account.auth_token or ""))

    def get_api_key_sid_masked(self, account: TwilioAccount) -> str:
        return mask(account.api_key_sid)

    def get_webhook_urls(self, account: TwilioAccount) -> dict[str, dict[str, str]]:
        return all_webhook_urls()


class TwilioAccountUpdateSerializer(TwilioAccountSerializer):
    """PATCH: every field optional; an omitted secret keeps its stored value."""

    name = serializers.CharField(max_length=80, required=False)
    account_sid = serializers.CharField(write_only=True, required=False, validators=[validate_account_sid])
    auth_token = serializers.CharField(write_only=True, required=False, min_length=16, max_length=128)
    api_key_sid = serializers.CharField(
        write_only=True, required=False, allow_blank=True, validators=[validate_api_key_sid]
    )
    api_key_secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=128)
    messaging_service_sid = serializers.CharField(
        required=False, allow_blank=True, validators=[validate_messaging_service_sid]
    )


class ChannelConnectionSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=ChannelConnection.Kind.choices)
    address = serializers.CharField(max_length=20, validators=[validate_e164], help_text=_("E.164 number"))
    agent = serializers.CharField(max_length=24)
    twilio_account = serializers.CharField(max_length=24, required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(required=False, default=True)
    whatsapp_template_sid = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[validate_content_sid]
    )
    unavailable_message = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    webhook_urls = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_webhook_urls(self, connection: ChannelConnection) -> dict[str, str]:
        return webhook_urls_for(kind=connection.kind)

    def to_representation(self, connection: ChannelConnection) -> dict[str, Any]:
        data = super().to_representation(connection)
        data["agent"] = str(connection.agent_id)
        data["twilio_account"] = str(connection.twilio_account_id) if connection.twilio_account_id else None
        return data

    def validate_agent(self, value: str) -> Any:
        agent = find_by_id(self.context["organization"].agents.all(), value)
        if agent is None:
            raise serializers.ValidationError(_("Unknown agent."))
        return agent

    def validate_twilio_account(self, value: str | None) -> Any:
        if value in (None, ""):
            return None
        account = find_by_id(self.context["organization"].twilioaccounts.all(), value)
        if account is None:
            raise serializers.ValidationError(_("Unknown Twilio account."))
        return account


class ChannelConnectionUpdateSerializer(ChannelConnectionSerializer):
    """PATCH: the kind and number are fixed once connected."""

    kind = serializers.ChoiceField(choices=ChannelConnection.Kind.choices, read_only=True)
    address = serializers.CharField(read_only=True)
    agent = serializers.CharField(max_length=24, required=False)
    twilio_account = serializers.CharField(max_length=24, required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    whatsapp_template_sid = serializers.CharField(required=False, allow_blank=True, validators=[validate_content_sid])
    unavailable_message = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        fixed = [name for name in ("kind", "address") if name in self.initial_data]
        if fixed:
            message = _("This can't be changed; connect the number again instead.")
            raise serializers.ValidationError({name: [message] for name in fixed})
        return attrs
