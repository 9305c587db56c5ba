from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel
from myagent.fields import EncryptedTextField


class TwilioAccount(TenantModel):
    """An organization's own Twilio credentials (auth token, or API key + secret)."""

    name = models.CharField(_("name"), max_length=80, default="Twilio")
    account_sid = models.CharField(_("account SID"), max_length=34)
    # Either the account auth token, or an API key secret when api_key_sid is set.
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
        return f"{self.name} ({self.account_sid})"


class ChannelConnection(TenantModel):
    """Maps a Twilio sender (E.164 number, WhatsApp or voice) to a published agent."""

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
