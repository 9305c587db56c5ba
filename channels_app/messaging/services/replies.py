"""What an inbound WhatsApp/SMS message gets back: the decision tree run by the task.

Order, first match wins (every branch records `metadata["outcome"]` on the inbound
message, plus `metadata["reason"]` when nothing or a fixed text was sent instead):

1. STOP/STOPALL/UNSUBSCRIBE/BAJA (SMS also CANCEL/END/QUIT) opts the contact out and
   START/UNSTOP/ALTA opts them back in; either way a confirmation is sent.
2. Opted-out contact: stored, never answered.
3. Bot paused (human takeover): stored, no reply; the person in charge answers.
4. Suspended organization, unpublished agent or empty wallet: the connection's
   `unavailable_message` if set, else silence. No LLM call.
5. WhatsApp outside the 24-hour window (measured from the contact's last inbound message):
   the connection's approved template (ContentSid) if set, else nothing, with the reason.
6. No text (media, location, contacts, stickers): a polite fixed acknowledgement in the
   agent's language; media URLs and the location stay on the inbound message.
7. Otherwise the agent answers (LLM), split to the channel's body limit.

Every free-form send on WhatsApp re-checks the window (a task that ran late).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from django.utils import timezone

from accounts.models import Organization
from agents.models import Contact, Conversation, Message
from agents.selectors import agent_published_version
from agents.services.conversations import conversation_reply
from billing.services.wallet import wallet_has_funds
from channels_app.messaging import texts
from channels_app.messaging.keywords import KeywordIntent, keyword_intent
from channels_app.messaging.services.delivery import recipient_address, reply_queue
from channels_app.messaging.splitting import body_limit, split_text
from channels_app.models import ChannelConnection

logger = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)


class Outcome(StrEnum):
    AGENT_REPLY = "agent_reply"
    MEDIA_ACKNOWLEDGED = "media_acknowledged"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    IGNORED_OPTED_OUT = "ignored_opted_out"
    IGNORED_BOT_PAUSED = "ignored_bot_paused"
    UNAVAILABLE_MESSAGE = "unavailable_message"
    SILENT = "silent"
    WHATSAPP_TEMPLATE = "whatsapp_template"
    NOT_SENT = "not_sent"


class Reason(StrEnum):
    CONNECTION_INACTIVE = "connection_inactive"
    ORGANIZATION_SUSPENDED = "organization_suspended"
    AGENT_NOT_PUBLISHED = "agent_not_published"
    WALLET_EMPTY = "wallet_empty"
    WHATSAPP_WINDOW_CLOSED = "whatsapp_window_closed"


def inbound_message_process(*, organization: Organization, message_id: str, connection_id: str) -> Message | None:
    """Decide and prepare the answer to one stored inbound message (see the module doc).

    Claims the message first (sets its `processing_started_at` only if unset), so a task
    delivered twice, or enqueued again by a Twilio retry, produces one reply. Returns the
    assistant message whose Twilio parts are ready to deliver, or None when nothing is to
    be sent. Records the outcome on the inbound message.
    """
    inbound = _claim(organization, message_id)
    if inbound is None:
        return None
    conversation = (
        Conversation.unscoped.select_related(  # tenant-bypass: the claimed inbound message's own conversation
            "contact", "agent"
        ).get(pk=inbound.conversation_id)
    )
    contact, agent = conversation.contact, conversation.agent
    connection = ChannelConnection.unscoped.filter(  # tenant-bypass: organization filter
        organization=organization, pk=connection_id
    ).first()
    if connection is None or not connection.is_active:
        return _no_reply(inbound, Outcome.NOT_SENT, Reason.CONNECTION_INACTIVE)
    version = agent_published_version(agent=agent)
    language = str((version.snapshot.get("language") if version else None) or agent.language or "es")
    reply = _Replier(organization, connection, conversation, contact, inbound)

    intent = keyword_intent(text=inbound.content, kind=connection.kind) if inbound.content else None
    if intent is not None:
        opted_out = intent == KeywordIntent.OPT_OUT
        Contact.unscoped.filter(pk=contact.pk).update(opted_out=opted_out)  # tenant-bypass: the inbound's contact
        confirmation = texts.OPT_OUT_CONFIRMATION if opted_out else texts.OPT_IN_CONFIRMATION
        return reply.fixed(texts.text_for(confirmation, language), Outcome.OPTED_OUT if opted_out else Outcome.OPTED_IN)
    if contact.opted_out:
        return _no_reply(inbound, Outcome.IGNORED_OPTED_OUT)
    if conversation.bot_paused:
        return _no_reply(inbound, Outcome.IGNORED_BOT_PAUSED)
    if organization.is_suspended:
        return reply.unavailable(Reason.ORGANIZATION_SUSPENDED)
    if version is None:
        return reply.unavailable(Reason.AGENT_NOT_PUBLISHED)
    if not wallet_has_funds(organization=organization):
        return reply.unavailable(Reason.WALLET_EMPTY)
    if not reply.window_open():
        if connection.whatsapp_template_sid:
            return reply.template(connection.whatsapp_template_sid)
        return _no_reply(inbound, Outcome.NOT_SENT, Reason.WHATSAPP_WINDOW_CLOSED)
    if not inbound.content:
        return reply.fixed(texts.text_for(texts.MEDIA_ACKNOWLEDGEMENT, language), Outcome.MEDIA_ACKNOWLEDGED)
    answer, _signals = conversation_reply(organization=organization, conversation=conversation, user_message=inbound)
    return reply.queue(answer, Outcome.AGENT_REPLY)


def _claim(organization: Organization, message_id: str) -> Message | None:
    now = timezone.now()
    claimed = Message.unscoped.filter(  # tenant-bypass: organization filter; the processing_started_at=None filter is the compare-and-set
        organization=organization, pk=message_id, role=Message.Role.USER, processing_started_at=None
    ).update(processing_started_at=now)
    if not claimed:
        logger.info("Inbound message %s already processed (or gone): skipped", message_id)
        return None
    return Message.unscoped.get(pk=message_id)  # tenant-bypass: claimed just above within the organization


def _record(inbound: Message, outcome: Outcome, reason: Reason | None = None) -> None:
    inbound.metadata = {**inbound.metadata, "outcome": str(outcome), **({"reason": str(reason)} if reason else {})}
    Message.unscoped.filter(pk=inbound.pk).update(metadata=inbound.metadata)  # tenant-bypass: claimed row


def _no_reply(inbound: Message, outcome: Outcome, reason: Reason | None = None) -> Message | None:
    """Record why nothing is sent; there is no reply to deliver."""
    _record(inbound, outcome, reason)
    return None


class _Replier:
    """Builds the assistant message for one inbound message and queues its Twilio parts."""

    def __init__(
        self,
        organization: Organization,
        connection: ChannelConnection,
        conversation: Conversation,
        contact: Contact,
        inbound: Message,
    ):
        self.organization = organization
        self.connection = connection
        self.conversation = conversation
        self.contact = contact
        self.inbound = inbound

    def window_open(self) -> bool:
        if self.connection.kind != ChannelConnection.Kind.WHATSAPP:
            return True
        last_inbound = self.contact.last_inbound_at or self.inbound.received_at
        return last_inbound is not None and timezone.now() - last_inbound < WHATSAPP_WINDOW

    def fixed(self, text: str, outcome: Outcome, reason: Reason | None = None) -> Message | None:
        if not self.window_open():
            return _no_reply(self.inbound, Outcome.NOT_SENT, Reason.WHATSAPP_WINDOW_CLOSED)
        return self.queue(self._assistant_message(text, outcome), outcome, reason)

    def unavailable(self, reason: Reason) -> Message | None:
        if not self.connection.unavailable_message:
            return _no_reply(self.inbound, Outcome.SILENT, reason)
        return self.fixed(self.connection.unavailable_message, Outcome.UNAVAILABLE_MESSAGE, reason)

    def template(self, content_sid: str) -> Message:
        message = self._assistant_message("", Outcome.WHATSAPP_TEMPLATE, content_sid=content_sid)
        _record(self.inbound, Outcome.WHATSAPP_TEMPLATE, Reason.WHATSAPP_WINDOW_CLOSED)
        reply_queue(
            organization=self.organization, connection=self.connection, reply=message, to=self._to(),
            content_sid=content_sid,
        )  # fmt: skip
        return message

    def queue(self, message: Message, outcome: Outcome, reason: Reason | None = None) -> Message | None:
        if outcome == Outcome.AGENT_REPLY and not self.window_open():  # the LLM took us past the window
            return _no_reply(self.inbound, Outcome.NOT_SENT, Reason.WHATSAPP_WINDOW_CLOSED)
        bodies = split_text(message.content, limit=body_limit(self.connection.kind))
        _record(self.inbound, outcome, reason)
        reply_queue(
            organization=self.organization, connection=self.connection, reply=message, to=self._to(), bodies=bodies
        )
        return message

    def _to(self) -> str:
        return recipient_address(connection=self.connection, contact=self.contact)

    def _assistant_message(self, text: str, outcome: Outcome, content_sid: str = "") -> Message:
        now = timezone.now()
        metadata = {"reply_to": str(self.inbound.pk), "kind": str(outcome)}
        if content_sid:
            metadata["content_sid"] = content_sid
        message = Message.unscoped.create(  # tenant-bypass: organization set explicitly
            organization=self.organization,
            conversation=self.conversation,
            role=Message.Role.ASSISTANT,
            content=text,
            received_at=self.inbound.received_at,
            processing_started_at=self.inbound.processing_started_at,
            metadata=metadata,
        )
        Conversation.unscoped.filter(pk=self.conversation.pk).update(last_message_at=now)  # tenant-bypass: own row
        return message
