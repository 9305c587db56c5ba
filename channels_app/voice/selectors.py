from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Organization
from agents.models import Agent, AgentVersion, Message
from agents.selectors import agent_published_version
from channels_app.models import ChannelConnection
from channels_app.voice.config import VoiceSettings
from channels_app.voice.models import Call
from myagent.lookups import get_or_404


def call_for_sid(*, call_sid: str) -> Call | None:
    """The call a Twilio callback is about; its signature is checked against its connection next."""
    if not call_sid:
        return None
    calls = Call.unscoped  # tenant-bypass: callbacks name calls by CallSid; the caller checks the signature next
    return (
        calls.select_related("organization", "connection__twilio_account", "agent", "conversation")
        .filter(call_sid=call_sid)
        .first()
    )


def call_list(*, organization: Organization, filters: dict[str, Any] | None = None) -> QuerySet[Call]:
    queryset = organization.calls.select_related("agent", "connection").order_by("-started_at")
    filters = filters or {}
    if outcome := filters.get("outcome"):
        queryset = queryset.filter(outcome=outcome)
    return queryset


def call_get(*, organization: Organization, call_id: str) -> Call:
    """A call of this organization; another tenant's id is a 404 like a missing one."""
    return get_or_404(organization.calls.select_related("agent", "connection", "conversation"), call_id)


def call_turns(*, call: Call) -> list[Message]:
    """The call's transcript, oldest first (greeting, caller prompts, agent replies)."""
    if call.conversation_id is None:
        return []
    return list(
        Message.unscoped.filter(  # tenant-bypass: conversation belongs to the call's organization
            organization_id=call.organization_id, conversation_id=call.conversation_id
        ).order_by("created_at", "pk")
    )


def reply_for_prompt(*, organization: Organization, conversation_id: Any, prompt_id: str) -> Message | None:
    """The agent's reply to a caller message (saved by the engine with metadata.reply_to)."""
    recent = Message.unscoped.filter(  # tenant-bypass: organization in the lookup
        organization=organization, conversation_id=conversation_id, role=Message.Role.ASSISTANT
    ).order_by("-created_at", "-pk")[:10]
    return next((m for m in recent if str(m.metadata.get("reply_to")) == prompt_id), None)


def reply_for_external_id(*, organization: Organization, conversation_id: Any, external_id: str) -> Message | None:
    """The reply already given to a vendor-identified caller message (for retried webhooks)."""
    prompts = Message.unscoped.filter(organization=organization)  # tenant-bypass: organization in the lookup
    prompt = prompts.filter(external_id=external_id).first()
    if prompt is None:
        return None
    return reply_for_prompt(organization=organization, conversation_id=conversation_id, prompt_id=str(prompt.pk))


def voice_settings_for(
    *, connection: ChannelConnection | None, version: AgentVersion | None, agent: Agent | None
) -> VoiceSettings:
    """Voice settings from the published version; the draft's language only for apologies."""
    if version is not None:
        snapshot = version.snapshot
    else:
        snapshot = {"language": getattr(agent, "language", "es"), "voice": getattr(agent, "voice", {}) or {}}
    return VoiceSettings.from_snapshot(snapshot, connection.settings if connection else None)


def call_voice_settings(*, call: Call) -> VoiceSettings:
    """The settings the call was answered with (the version its conversation is pinned to)."""
    conversation = call.conversation
    version = None
    if conversation is not None and conversation.agent_version_id:
        versions = AgentVersion.unscoped.filter(organization_id=call.organization_id)  # tenant-bypass: org in lookup
        version = versions.filter(pk=conversation.agent_version_id).first()
    if version is None and call.agent is not None:
        version = agent_published_version(agent=call.agent)
    return voice_settings_for(connection=call.connection, version=version, agent=call.agent)
