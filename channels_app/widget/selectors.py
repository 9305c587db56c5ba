from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organization
from agents.models import Message
from channels_app.widget import config
from channels_app.widget.models import WidgetKey, WidgetSession
from myagent.lookups import get_or_404, parse_object_id


def widget_key_list(*, organization: Organization) -> QuerySet[WidgetKey]:
    return organization.widgetkeys.select_related("agent").order_by("-created_at")


def widget_key_get(*, organization: Organization, widget_key_id: Any) -> WidgetKey:
    return get_or_404(widget_key_list(organization=organization), widget_key_id)


def widget_session_list(*, organization: Organization, filters: dict[str, Any]) -> QuerySet[WidgetSession]:
    """Sessions where the chat was opened, most recently active first.

    filters: status (active/ended/revoked), widget_key. A page view where the visitor never
    opened the chat has a session (its token) but is not listed.
    """
    queryset = (
        organization.widgetsessions.select_related("widget_key", "agent")
        .filter(started_at__isnull=False)
        .order_by("-last_activity_at")
    )
    if widget_key := filters.get("widget_key"):
        queryset = queryset.filter(widget_key_id=parse_object_id(widget_key) or "000000000000000000000000")
    status = filters.get("status")
    active_since = timezone.now() - timedelta(seconds=config.session_active_seconds())
    if status == WidgetSession.Status.ACTIVE:
        queryset = queryset.filter(revoked_at=None, last_activity_at__gte=active_since)
    elif status == WidgetSession.Status.ENDED:
        queryset = queryset.filter(revoked_at=None, last_activity_at__lt=active_since)
    elif status == WidgetSession.Status.REVOKED:
        queryset = queryset.filter(revoked_at__isnull=False)
    return queryset


def widget_session_get(*, organization: Organization, session_id: Any) -> WidgetSession:
    queryset = organization.widgetsessions.select_related("widget_key", "agent", "conversation")
    return get_or_404(queryset, session_id)


def widget_session_messages(*, session: WidgetSession) -> QuerySet[Message]:
    """The session's conversation as the visitor saw it (no tool or system messages)."""
    if session.conversation is None:
        return Message.objects.none()
    return session.conversation.messages.filter(role__in=[Message.Role.USER, Message.Role.ASSISTANT]).order_by(
        "created_at", "pk"
    )
