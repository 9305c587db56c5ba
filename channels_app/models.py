from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel
from myagent.fields import EncryptedTextField


class TwilioAccount(TenantModel):
    """An organization's own Twilio credentials, encrypted at rest.

    The auth token is always required: Twilio signs every webhook with it. REST calls
    use the API key + secret when one is set, else the auth token.
    """

    name = models.CharField(_("name"), max_length=80, default="Twilio")
    account_sid = models.CharField(_("account SID"), max_length=34)
    auth_token = EncryptedTextField(_("auth token"))
    api_key_sid = models.CharField(_("API key SID"), max_length=34, blank=True)
    api_key_secret = EncryptedTextField(_("API key secret"), blank=True)
    messaging_service_sid = models.CharField(_("Messaging Service SID"), max_length=34, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("Twilio account")
        verbose_name_plural = _("Twilio accounts")
        constraints = [
            models.UniqueConstraint(fields=["organization", "account_sid"], name="unique_twilio_account_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.name} (AC…{self.account_sid[-4:]})"  # the SID is write-only in the API too


class ChannelConnection(TenantModel):
    """Maps a Twilio sender (E.164 number, WhatsApp or voice) to a published agent."""

    agent_id: Any
    twilio_account_id: Any

    class Kind(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        SMS = "sms", "SMS"
        VOICE = "voice", _("Voice")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    address = models.CharField(_("number (E.164)"), max_length=20)
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="channel_connections")
    # Null means: use the platform's Twilio account from settings.
    twilio_account = models.ForeignKey(
        TwilioAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="connections"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # WhatsApp: approved template (ContentSid) used outside the 24-hour window.
    whatsapp_template_sid = models.CharField(_("WhatsApp template ContentSid"), max_length=34, blank=True)
    # Said/sent instead of an AI reply when the bot can't answer (suspended, no balance…); blank = silence.
    unavailable_message = models.CharField(_("message when unavailable"), max_length=500, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("channel connection")
        verbose_name_plural = _("channel connections")
        # A number reaches exactly one agent platform-wide: inbound webhooks route by it.
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="unique_channel_address")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"

    @property
    def twilio_address(self) -> str:
        """The sender as Twilio writes it in webhooks (`whatsapp:+34…` for WhatsApp)."""
        return f"whatsapp:{self.address}" if self.kind == self.Kind.WHATSAPP else self.address


class TwilioMessage(TenantModel):
    """One Messages-API send: a whole reply, or one part of a reply split to the channel's
    length limit. The row is written before the HTTP call and claimed (pending → submitting)
    so a task that runs twice never sends the same part twice; status callbacks find it
    by `sid` and only move its status forward."""

    message_id: Any

    class Status(models.TextChoices):
        # Ours, before Twilio has the message:
        PENDING = "pending", _("Pending")
        SUBMITTING = "submitting", _("Submitting")
        # Twilio's MessageStatus values:
        ACCEPTED = "accepted", _("Accepted")
        SCHEDULED = "scheduled", _("Scheduled")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        UNDELIVERED = "undelivered", _("Undelivered")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="twilio_messages"
    )
    message = models.ForeignKey("agents.Message", on_delete=models.CASCADE, related_name="twilio_parts")
    part = models.PositiveSmallIntegerField(default=0)
    to = models.CharField(max_length=40)
    body = models.TextField(blank=True)
    # Approved WhatsApp template sent instead of a free-form body (outside the 24-hour window).
    content_sid = models.CharField(max_length=34, blank=True)
    sid = models.CharField(max_length=40, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error_code = models.CharField(max_length=10, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("Twilio message")
        verbose_name_plural = _("Twilio messages")
        constraints = [
            models.UniqueConstraint(fields=["message", "part"], name="unique_twilio_message_part"),
            # Status callbacks route by MessageSid, platform-wide.
            models.UniqueConstraint(fields=["sid"], condition=models.Q(sid__gt=""), name="unique_twilio_message_sid"),
        ]

    def __str__(self) -> str:
        return f"{self.sid or 'unsent'} part {self.part} ({self.status})"
