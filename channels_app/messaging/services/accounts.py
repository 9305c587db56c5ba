"""Twilio accounts an organization brings (credentials encrypted at rest)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.models import Organization
from channels_app.models import TwilioAccount
from myagent.errors import Conflict, NotFound, ValidationFailed

EDITABLE_FIELDS = ("name", "account_sid", "auth_token", "api_key_sid", "api_key_secret", "messaging_service_sid")


def _check_api_key_pair(api_key_sid: str, api_key_secret: str) -> None:
    if bool(api_key_sid) != bool(api_key_secret):
        missing = "api_key_secret" if api_key_sid else "api_key_sid"
        raise ValidationFailed(fields={missing: [_("An API key needs both its SID and secret.")]})


def twilio_account_create(
    *,
    organization: Organization,
    account_sid: str,
    auth_token: str,
    name: str = "Twilio",
    api_key_sid: str = "",
    api_key_secret: str = "",
    messaging_service_sid: str = "",
) -> TwilioAccount:
    """Store an organization's Twilio credentials. The auth token is required even with an
    API key: Twilio signs the webhooks with it. Secrets are never returned by the API."""
    _check_api_key_pair(api_key_sid, api_key_secret)
    try:
        return TwilioAccount.unscoped.create(  # tenant-bypass: organization set explicitly
            organization=organization,
            name=name or "Twilio",
            account_sid=account_sid,
            auth_token=auth_token.strip(),
            api_key_sid=api_key_sid,
            api_key_secret=api_key_secret.strip(),
            messaging_service_sid=messaging_service_sid,
        )
    except IntegrityError as exc:
        raise Conflict(_("This Twilio account is already added.")) from exc


def twilio_account_update(*, organization: Organization, account: TwilioAccount, **fields: Any) -> TwilioAccount:
    """Change some fields; secrets are replaced only when given (rotation)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: [_("This field can't be changed.")] for name in sorted(unknown)})
    if account.organization_id != organization.pk:
        raise NotFound()
    for name, value in fields.items():
        setattr(account, name, value.strip() if name in ("auth_token", "api_key_secret") else value)
    if "api_key_sid" in fields and not fields["api_key_sid"]:
        account.api_key_secret = ""  # removing the key removes its secret
    _check_api_key_pair(account.api_key_sid, str(account.api_key_secret or ""))
    if not str(account.auth_token or ""):
        raise ValidationFailed(fields={"auth_token": [_("The auth token is required.")]})
    try:
        account.save(update_fields=[*fields, *(["api_key_secret"] if "api_key_sid" in fields else [])])
    except IntegrityError as exc:
        raise Conflict(_("This Twilio account is already added.")) from exc
    return account


def twilio_account_delete(*, organization: Organization, account: TwilioAccount) -> None:
    in_use = organization.channelconnections.filter(twilio_account=account).count()
    if in_use:
        raise Conflict(
            _("This Twilio account is used by %(count)d channel connection(s). Remove or move them first.")
            % {"count": in_use}
        )
    account.delete()
