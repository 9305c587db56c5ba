"""Connect a Twilio number (WhatsApp, SMS or voice) to an organization's agent."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.models import Organization
from agents.models import Agent
from channels_app.models import ChannelConnection, TwilioAccount
from channels_app.twilio.client import credentials_for
from myagent.errors import Conflict, NotFound, ValidationFailed

EDITABLE_FIELDS = ("agent", "twilio_account", "is_active", "whatsapp_template_sid", "unavailable_message")


def _validate(organization: Organization, kind: str, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    agent: Agent | None = data.get("agent")
    if "agent" in data:
        if agent is None or agent.organization_id != organization.pk:
            errors["agent"] = [_("Unknown agent.")]
        elif agent.published_version_id is None:
            errors["agent"] = [_("Publish this agent before connecting it to a channel.")]
    account: TwilioAccount | None = data.get("twilio_account")
    if account is not None and account.organization_id != organization.pk:
        errors["twilio_account"] = [_("Unknown Twilio account.")]
    elif "twilio_account" in data and account is None and credentials_for(None) is None:
        errors["twilio_account"] = [_("Add your Twilio account first: this platform has no shared one.")]
    if data.get("whatsapp_template_sid") and kind != ChannelConnection.Kind.WHATSAPP:
        errors["whatsapp_template_sid"] = [_("Only WhatsApp numbers use a template.")]
    if errors:
        raise ValidationFailed(fields=errors)


def _duplicate(kind: str, address: str) -> Conflict:
    return Conflict(
        _("The number %(address)s is already connected for %(kind)s. Each number reaches one agent.")
        % {"address": address, "kind": ChannelConnection.Kind(kind).label}
    )


def channel_connection_create(
    *,
    organization: Organization,
    kind: str,
    address: str,
    agent: Agent,
    twilio_account: TwilioAccount | None = None,
    is_active: bool = True,
    whatsapp_template_sid: str = "",
    unavailable_message: str = "",
) -> ChannelConnection:
    """Route a Twilio number to `agent`. A number is unique platform-wide per kind, so a
    duplicate (in any organization) is a conflict that names no one. `twilio_account`
    None means the platform's Twilio account, which must then be configured."""
    _validate(
        organization,
        kind,
        {"agent": agent, "twilio_account": twilio_account, "whatsapp_template_sid": whatsapp_template_sid},
    )
    if ChannelConnection.unscoped.filter(  # tenant-bypass: the uniqueness is platform-wide by design; only existence is checked
        kind=kind, address=address
    ).exists():
        raise _duplicate(kind, address)
    try:
        return ChannelConnection.unscoped.create(  # tenant-bypass: organization set explicitly
            organization=organization,
            kind=kind,
            address=address,
            agent=agent,
            twilio_account=twilio_account,
            is_active=is_active,
            whatsapp_template_sid=whatsapp_template_sid,
            unavailable_message=unavailable_message,
        )
    except IntegrityError as exc:  # created concurrently
        raise _duplicate(kind, address) from exc


def channel_connection_update(
    *, organization: Organization, connection: ChannelConnection, **fields: Any
) -> ChannelConnection:
    """Change the agent, account, fallback text, template or active flag. The kind and
    number can't change: connect the new number and remove the old one."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            fields={name: [_("This can't be changed; connect the number again instead.")] for name in sorted(unknown)}
        )
    if connection.organization_id != organization.pk:
        raise NotFound()
    _validate(organization, connection.kind, fields)
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.save(update_fields=list(fields))
    return connection


def channel_connection_delete(*, organization: Organization, connection: ChannelConnection) -> None:
    """Disconnect the number. Sent-message records keep their history (connection unset)."""
    if connection.organization_id != organization.pk:
        raise NotFound()
    connection.delete()
