from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel
from myagent.fields import EncryptedTextField


class Provider(models.TextChoices):
    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"
    GEMINI = "gemini", "Google Gemini"
    MISTRAL = "mistral", "Mistral"
    OPENAI_COMPATIBLE = "openai_compatible", _("OpenAI-compatible endpoint")


class ProviderCredential(TenantModel):
    provider = models.CharField(_("provider"), max_length=24, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=80, default="default")
    api_key = EncryptedTextField(_("API key"))
    base_url = models.URLField(_("base URL"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("provider credential")
        verbose_name_plural = _("provider credentials")
        constraints = [
            models.UniqueConstraint(fields=["organization", "provider", "name"], name="unique_provider_credential")
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({self.name})"

    @property
    def masked_key(self) -> str:
        key = str(self.api_key or "")
        return f"{key[:3]}…{key[-4:]}" if len(key) > 10 else "****"


class Agent(TenantModel):
    """The editable draft of an agent. Channels serve `published_version`, never the draft."""

    credential_id: Any
    published_version_id: Any

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    model = models.CharField(_("model"), max_length=200, default="demo/assistant")
    fallback_models = models.JSONField(_("fallback models"), default=list, blank=True)
    credential = models.ForeignKey(
        ProviderCredential, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents"
    )
    instructions = models.TextField(_("instructions"))
    temperature = models.FloatField(_("temperature"), default=0.3)
    max_output_tokens = models.PositiveIntegerField(_("max output tokens"), default=512)
    greeting = models.CharField(_("greeting"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, default="es")
    memory_window = models.PositiveIntegerField(_("memory window (messages)"), default=20)
    tools = models.JSONField(_("enabled tools"), default=list, blank=True)
    # Ids of this organization's knowledge bases the agent retrieves from (integrations.knowledge).
    knowledge_bases = models.JSONField(_("knowledge bases"), default=list, blank=True)
    handoff_phone_number = models.CharField(_("handoff phone number"), max_length=20, blank=True)
    voice = models.JSONField(_("voice settings"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_version = models.ForeignKey(
        "AgentVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="unique_agent_slug")]

    def __str__(self) -> str:
        return self.name

    @property
    def uses_demo_model(self) -> bool:
        return self.model.startswith("demo/")


# The fields an AgentVersion freezes. Editing the draft never changes a version.
SNAPSHOT_FIELDS = (
    "name",
    "model",
    "fallback_models",
    "instructions",
    "temperature",
    "max_output_tokens",
    "greeting",
    "language",
    "memory_window",
    "tools",
    "knowledge_bases",
    "handoff_phone_number",
    "voice",
)


class AgentVersion(TenantModel):
    agent_id: Any

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    credential_id_snapshot = models.CharField(max_length=24, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("agent version")
        verbose_name_plural = _("agent versions")
        constraints = [models.UniqueConstraint(fields=["agent", "number"], name="unique_agent_version_number")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.agent_id} v{self.number}"

    def get(self, field: str) -> Any:
        return self.snapshot.get(field)


class Channel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    VOICE = "voice", _("Phone call")
    WIDGET = "widget", _("Web component")
    API = "api", "API"
    PLAYGROUND = "playground", _("Playground")


class Contact(TenantModel):
    """An end user of an organization on one channel (phone, WhatsApp id, visitor, API caller)."""

    channel = models.CharField(max_length=12, choices=Channel.choices)
    external_id = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    opted_out = models.BooleanField(default=False)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "external_id"], name="unique_contact_identity")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"


class Conversation(TenantModel):
    agent_id: Any
    agent_version_id: Any
    contact_id: Any

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="conversations")
    agent_version = models.ForeignKey(AgentVersion, on_delete=models.SET_NULL, null=True, related_name="+")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    bot_paused = models.BooleanField(_("bot paused (human takeover)"), default=False)
    metadata = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["organization", "agent", "channel", "started_at"])]

    def __str__(self) -> str:
        return f"{self.channel} conversation {self.pk}"


class Message(TenantModel):
    conversation_id: Any

    class Role(models.TextChoices):
        USER = "user", _("User")
        ASSISTANT = "assistant", _("Agent")
        TOOL = "tool", _("Tool")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    content = models.TextField(blank=True)
    # Vendor id (Twilio MessageSid, …). Unique when present so vendor retries are processed once.
    external_id = models.CharField(max_length=64, null=True, blank=True)
    delivery_status = models.CharField(max_length=16, blank=True)
    delivery_error = models.CharField(max_length=255, blank=True)
    tool_calls = models.JSONField(default=list, blank=True)
    tool_call_id = models.CharField(max_length=64, blank=True)
    media = models.JSONField(default=list, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, default=0)
    model_used = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    # Response-time stages. On a reply, received_at is copied from the inbound message so
    # one row holds the whole timeline.
    received_at = models.DateTimeField(null=True, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    llm_request_at = models.DateTimeField(null=True, blank=True)
    first_token_at = models.DateTimeField(null=True, blank=True)
    llm_done_at = models.DateTimeField(null=True, blank=True)
    reply_sent_at = models.DateTimeField(null=True, blank=True)
    # Durations in milliseconds per stage of the turn that produced this reply (keys as in
    # `agents.services.turns.Stage`), written once when the turn ends so analytics can
    # aggregate without recomputing from timestamps.
    stages_ms = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["conversation", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=models.Q(external_id__gt=""),
                name="unique_message_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"

    def timings_ms(self) -> dict[str, int | None]:
        """Milliseconds from `received_at` to each later stage (None when not reached)."""
        start = self.received_at
        stages = ("processing_started_at", "llm_request_at", "first_token_at", "llm_done_at", "reply_sent_at")
        result: dict[str, int | None] = {}
        for stage in stages:
            value = getattr(self, stage)
            result[stage.removesuffix("_at")] = int((value - start).total_seconds() * 1000) if start and value else None
        return result
