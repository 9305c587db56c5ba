"""Widget keys (one agent's web component on some websites) and the organization's identity secret."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from agents.models import Agent
from channels_app.widget.broadcast import broadcast_key_closed
from channels_app.widget.models import WidgetKey, WidgetSecret
from channels_app.widget.origins import OriginError, origins_parse
from channels_app.widget.theme import theme_validate
from myagent.errors import NotFound, ValidationFailed

KEY_PREFIX = "wk_live_"
SECRET_PREFIX = "whs_"
KEY_MAX_CHARS = 40


def widget_key_validate(*, organization: Organization, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(cleaned data, errors by field) for create/update input from forms and the API.

    `allowed_origins` may be a list or text with one origin per line; `theme` a dict of
    theme settings. `agent` must already be an Agent of this organization (the form and
    serializer resolve ids within the organization).
    """
    clean = dict(data)
    errors: dict[str, Any] = {}
    if "allowed_origins" in data:
        try:
            clean["allowed_origins"] = origins_parse(data["allowed_origins"] or [])
        except OriginError as exc:
            errors["allowed_origins"] = str(exc).splitlines()
    if "theme" in data:
        theme, theme_errors = theme_validate(data["theme"] or {})
        clean["theme"] = theme
        errors.update({f"theme.{key}" if key != "theme" else key: value for key, value in theme_errors.items()})
    agent = data.get("agent")
    if agent is not None and (not isinstance(agent, Agent) or agent.organization_id != organization.pk):
        errors["agent"] = [_("Unknown agent.")]
    return clean, errors


def _validated(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    clean, errors = widget_key_validate(organization=organization, data=data)
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), fields=errors)
    return clean


def widget_key_create(
    *,
    organization: Organization,
    agent: Agent,
    name: str,
    allowed_origins: list[str] | str,
    theme: dict[str, Any] | None = None,
    enabled: bool = True,
    created_by: User | None = None,
) -> WidgetKey:
    """Create a publishable key for `agent`'s web component. It works only on `allowed_origins`."""
    clean = _validated(organization, {"agent": agent, "allowed_origins": allowed_origins, "theme": theme or {}})
    widget_secret_get(organization=organization)  # so identity verification is ready to set up
    return WidgetKey.unscoped.create(  # tenant-bypass: organization set explicitly
        organization=organization,
        agent=agent,
        name=name,
        key=KEY_PREFIX + secrets.token_urlsafe(24)[: KEY_MAX_CHARS - len(KEY_PREFIX)],
        allowed_origins=clean["allowed_origins"],
        theme=clean["theme"],
        enabled=enabled,
        created_by=created_by,
    )


def widget_key_update(*, organization: Organization, widget_key: WidgetKey, **fields: Any) -> WidgetKey:
    """Change name, agent, origins, theme or `enabled`.

    Disabling closes the key's live sockets now. A removed origin is refused from the next
    message of a socket on it; a new agent takes over from each visitor's next session.
    """
    if widget_key.organization_id != organization.pk:
        raise NotFound()
    allowed = {"name", "agent", "allowed_origins", "theme", "enabled"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    clean = _validated(organization, fields)
    was_enabled = widget_key.enabled
    for name, value in clean.items():
        setattr(widget_key, name, value)
    widget_key.save()
    if was_enabled and not widget_key.enabled:
        broadcast_key_closed(widget_key_id=widget_key.pk)
    return widget_key


def widget_key_authenticate(*, key: str) -> WidgetKey | None:
    """The widget key a page presents, with its organization and agent; None if unknown."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > KEY_MAX_CHARS:
        return None
    return (
        WidgetKey.unscoped.select_related(  # tenant-bypass: the public key is what names the organization
            "organization", "agent"
        )
        .filter(key=key)
        .first()
    )


def widget_secret_get(*, organization: Organization) -> WidgetSecret:
    """The organization's identity secret, created on first use (idempotent under races)."""
    existing = organization.widgetsecrets.first()
    if existing is not None:
        return existing
    try:
        return WidgetSecret.unscoped.create(  # tenant-bypass: organization set explicitly
            organization=organization, secret=SECRET_PREFIX + secrets.token_urlsafe(32)
        )
    except IntegrityError:
        return organization.widgetsecrets.get()


def widget_secret_rotate(*, organization: Organization) -> WidgetSecret:
    """Replace the identity secret. Hashes made with the old one stop verifying at once."""
    secret = widget_secret_get(organization=organization)
    secret.secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    secret.rotated_at = timezone.now()
    secret.save(update_fields=["secret", "rotated_at"])
    return secret
