from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel


class Call(TenantModel):
    """One phone call to a voice connection: who called, how it went, what it cost in time.

    Created by the incoming-call webhook (idempotent on `call_sid`: Twilio retries),
    moved along by the ConversationRelay socket and closed by the status callback,
    which records the billable duration. Each agent turn lives on the conversation's
    messages; this row holds the call-level outcome.
    """

    connection_id: Any
    conversation_id: Any

    class Mode(models.TextChoices):
        RELAY = "relay", _("ConversationRelay (streaming)")
        GATHER = "gather", _("Gather and Say (turn by turn)")

    class Status(models.TextChoices):
        # Twilio's CallStatus values, verbatim.
        QUEUED = "queued", _("Queued")
        RINGING = "ringing", _("Ringing")
        IN_PROGRESS = "in-progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        BUSY = "busy", _("Busy")
        FAILED = "failed", _("Failed")
        NO_ANSWER = "no-answer", _("No answer")
        CANCELED = "canceled", _("Canceled")

    class Outcome(models.TextChoices):
        ONGOING = "", _("Ongoing")
        COMPLETED = "completed", _("Handled by the agent")
        HANDOFF = "handoff", _("Transferred to a person")
        UNAVAILABLE = "unavailable", _("Not answered (unavailable)")
        FAILED = "failed", _("Failed")

    FINAL_STATUSES = frozenset({Status.COMPLETED, Status.BUSY, Status.FAILED, Status.NO_ANSWER, Status.CANCELED})

    call_sid = models.CharField(_("call SID"), max_length=64, unique=True)
    connection = models.ForeignKey(
        "channels_app.ChannelConnection", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    agent = models.ForeignKey("agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    conversation = models.ForeignKey(
        "agents.Conversation", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.RELAY)
    from_number = models.CharField(_("from"), max_length=64, blank=True)
    to_number = models.CharField(_("to"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RINGING)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True, default="")
    # suspended / no_funds / no_agent: why the call got an apology instead of the agent.
    unavailable_reason = models.CharField(_("unavailable reason"), max_length=32, blank=True)
    # ConversationRelay session (VX…) and how it ended (completed / ended / failed).
    session_id = models.CharField(_("relay session"), max_length=64, blank=True)
    session_status = models.CharField(_("relay session status"), max_length=16, blank=True)
    handoff_source = models.CharField(_("handoff requested by"), max_length=8, blank=True)  # agent / dtmf
    handoff_reason = models.CharField(_("handoff reason"), max_length=300, blank=True)
    handoff_number = models.CharField(_("transferred to"), max_length=20, blank=True)
    handoff_requested_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(_("last error"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    answered_at = models.DateTimeField(_("agent connected"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["organization", "started_at"])]

    def __str__(self) -> str:
        return f"{self.from_number} → {self.to_number} ({self.call_sid})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES
