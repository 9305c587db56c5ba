from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel
from channels_app.widget import config
from myagent.fields import EncryptedTextField


class WidgetKey(TenantModel):
    """The publishable key of one agent's web component, with where it may run and its look.

    The key is public (it sits in the page's HTML); what protects it is the list of allowed
    origins, checked on the session call and again on the socket. Disabling the key closes
    its live sockets and refuses new sessions.
    """

    agent_id: Any

    name = models.CharField(_("name"), max_length=80)
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="widget_keys")
    key = models.CharField(_("key"), max_length=40, unique=True)
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True)
    # primary_color, position, title, avatar_url, launcher_text (see channels_app.widget.theme).
    theme = models.JSONField(_("theme"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("widget key")
        verbose_name_plural = _("widget keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class WidgetSecret(TenantModel):
    """The organization's secret for verified identities (`user_hash`), encrypted at rest.

    Only the embedding site's server may know it: it signs the ids of its logged-in users.
    """

    secret = EncryptedTextField(_("secret"))
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("widget identity secret")
        verbose_name_plural = _("widget identity secrets")
        constraints = [models.UniqueConstraint(fields=["organization"], name="unique_widget_secret_per_org")]

    def __str__(self) -> str:
        return f"widget secret of {self.organization_id}"


class WidgetSession(TenantModel):
    """One visitor's chat through one widget key: a conversation, and every socket that shows it.

    A visitor (anonymous, or a verified user) has at most one live session per key, held by
    the unique `thread_key`; every page view and device of that visitor gets a fresh token
    for it, so the conversation and its history follow them. The contact and conversation
    are created with the first message, and `started_at` is set when the chat is first
    opened: page views where nobody chats leave no conversations behind. Revoking clears
    `thread_key` (the visitor's next session starts a new conversation), closes the live
    sockets and makes the session's tokens worthless.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        REVOKED = "revoked", _("Revoked")

    widget_key_id: Any
    agent_id: Any
    contact_id: Any
    conversation_id: Any

    widget_key = models.ForeignKey(WidgetKey, on_delete=models.CASCADE, related_name="sessions")
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="widget_sessions")
    # The contact's external id: "visitor:<anonymous id>" or "user:<verified user id>".
    visitor = models.CharField(_("visitor"), max_length=200)
    contact = models.ForeignKey(
        "agents.Contact", on_delete=models.CASCADE, null=True, blank=True, related_name="widget_sessions"
    )
    conversation = models.ForeignKey(
        "agents.Conversation", on_delete=models.CASCADE, null=True, blank=True, related_name="widget_sessions"
    )
    # "<widget key id>:<hash of visitor>" while the session is live; None once revoked.
    thread_key = models.CharField(max_length=80, null=True, blank=True)
    visitor_id = models.CharField(_("visitor id"), max_length=64, blank=True)  # anonymous id of the latest browser
    user_id = models.CharField(_("verified user id"), max_length=190, blank=True)
    origin = models.CharField(_("origin"), max_length=255)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)  # first socket
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(TenantModel.Meta):
        verbose_name = _("widget session")
        verbose_name_plural = _("widget sessions")
        indexes = [models.Index(fields=["organization", "last_activity_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["thread_key"], condition=models.Q(thread_key__gt=""), name="unique_live_widget_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.visitor_label} @ {self.origin}"

    @property
    def is_verified(self) -> bool:
        return bool(self.user_id)

    @property
    def visitor_label(self) -> str:
        return self.user_id if self.user_id else self.visitor.removeprefix("visitor:")[:8]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def status(self) -> str:
        """Revoked, active (recent activity) or ended (idle; the visitor may still come back)."""
        if self.revoked_at is not None:
            return self.Status.REVOKED
        idle = (timezone.now() - self.last_activity_at).total_seconds()
        return self.Status.ACTIVE if idle <= config.session_active_seconds() else self.Status.ENDED
