"""Staff admin for web component keys and sessions. The identity secret is not registered:
staff never need to read it, and organizations rotate it themselves."""

from __future__ import annotations

from django.contrib import admin

from channels_app.widget.models import WidgetKey, WidgetSession


@admin.register(WidgetKey)
class WidgetKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "agent", "key", "enabled", "created_at"]
    list_filter = ["enabled", "created_at"]
    search_fields = ["name", "key"]
    raw_id_fields = ["organization", "agent", "created_by"]


@admin.register(WidgetSession)
class WidgetSessionAdmin(admin.ModelAdmin):
    list_display = [
        "pk", "organization", "widget_key", "visitor", "origin", "started_at", "message_count", "revoked_at",
    ]  # fmt: skip
    list_filter = ["started_at", "revoked_at"]
    search_fields = ["visitor", "origin", "user_id"]
    raw_id_fields = ["organization", "widget_key", "agent", "contact", "conversation", "revoked_by"]
    readonly_fields = ["thread_key", "created_at", "started_at", "last_activity_at", "message_count", "revoked_at"]
