from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from accounts.models import Organization
from agents.models import Agent, AgentVersion, Conversation, Message
from agents.services.agents import published_cache_key

_PUBLISHED_TTL = 300


def agent_published_version(*, agent: Agent) -> AgentVersion | None:
    """The version channels serve, cached until the next publish/rollback."""
    key = published_cache_key(agent.pk)
    version = cache.get(key)
    if version is None and agent.published_version_id:
        version = AgentVersion.unscoped.filter(pk=agent.published_version_id).first()  # tenant-bypass: id from agent
        if version is not None:
            cache.set(key, version, _PUBLISHED_TTL)
    return version


def conversation_list(*, organization: Organization, filters: dict[str, Any]) -> QuerySet[Conversation]:
    queryset = organization.conversations.select_related("contact", "agent").order_by("-started_at")
    if agent_id := filters.get("agent"):
        queryset = queryset.filter(agent_id=agent_id)
    if channel := filters.get("channel"):
        queryset = queryset.filter(channel=channel)
    if since := filters.get("since"):
        queryset = queryset.filter(started_at__gte=since)
    if until := filters.get("until"):
        queryset = queryset.filter(started_at__lt=until)
    return queryset


def conversation_history(*, conversation: Conversation, limit: int) -> list[Message]:
    """The last `limit` user/assistant messages, oldest first (the memory window)."""
    if limit <= 0:
        return []
    messages = list(
        conversation.messages.filter(role__in=[Message.Role.USER, Message.Role.ASSISTANT])
        .exclude(content="")
        .order_by("-created_at", "-pk")[:limit]
    )
    return messages[::-1]
