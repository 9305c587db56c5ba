"""Agent lifecycle: create, edit the draft, publish immutable versions, roll back."""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError
from django.db.models import Max
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_mongodb_backend import transaction

from accounts.models import Organization, User
from agents.model_catalog import model_error
from agents.models import SNAPSHOT_FIELDS, Agent, AgentVersion
from agents.tools import get_tool
from myagent.errors import Conflict, ValidationFailed
from myagent.lookups import get_or_404

EDITABLE_FIELDS = (*SNAPSHOT_FIELDS, "description", "credential")
# E.164: voice hand-offs dial this number, so the API must hold it to the form's rule.
PHONE_NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")


def published_cache_key(agent_id: Any) -> str:
    return f"agent:{agent_id}:published"


def agent_validate(*, organization: Organization, data: dict[str, Any]) -> dict[str, list[str]]:
    """Domain validation shared by the API and the BackOffice form; returns field errors."""
    errors: dict[str, list[str]] = {}
    if "model" in data and (reason := model_error(str(data["model"]))):
        errors["model"] = [reason]
    for fallback in data.get("fallback_models") or []:
        if reason := model_error(str(fallback)):
            errors.setdefault("fallback_models", []).append(f"{fallback}: {reason}")
    if "instructions" in data and not str(data["instructions"] or "").strip():
        errors["instructions"] = [_("Instructions can't be empty: tell the agent what it does.")]
    if "temperature" in data and not 0 <= float(data["temperature"]) <= 2:
        errors["temperature"] = [_("Temperature must be between 0 and 2.")]
    if "max_output_tokens" in data and not 1 <= int(data["max_output_tokens"]) <= 32000:
        errors["max_output_tokens"] = [_("Max output tokens must be between 1 and 32000.")]
    if "memory_window" in data and not 0 <= int(data["memory_window"]) <= 200:
        errors["memory_window"] = [_("Memory window must be between 0 and 200 messages.")]
    for tool in data.get("tools") or []:
        if get_tool(str(tool)) is None:
            errors.setdefault("tools", []).append(_("Unknown tool %(tool)s.") % {"tool": tool})
    handoff_number = str(data.get("handoff_phone_number") or "")
    if handoff_number and not PHONE_NUMBER.match(handoff_number):
        errors["handoff_phone_number"] = [_("Use the international format with the country code, e.g. +34600111222.")]
    credential = data.get("credential")
    if credential is not None and credential.organization_id != organization.pk:
        errors["credential"] = [_("Unknown credential.")]
    return errors


def _check(organization: Organization, data: dict[str, Any]) -> None:
    if errors := agent_validate(organization=organization, data=data):
        raise ValidationFailed(fields=errors)


def agent_create(*, organization: Organization, name: str, instructions: str, **fields: Any) -> Agent:
    data = {"name": name, "instructions": instructions, **fields}
    data.setdefault("model", "demo/assistant")
    _check(organization, data)
    base = slugify(name)[:60] or "agent"
    slug = base
    for _attempt in range(5):
        try:
            return Agent.unscoped.create(  # tenant-bypass: organization set explicitly
                organization=organization, slug=slug, **{k: v for k, v in data.items() if k in EDITABLE_FIELDS}
            )
        except IntegrityError:
            slug = f"{base}-{get_random_string(4, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
    raise Conflict(_("Could not pick a unique slug for this agent; try another name."))


def agent_update(*, organization: Organization, agent: Agent, **fields: Any) -> Agent:
    """Edit the draft. Channels keep serving the published version until `agent_publish`."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={name: [_("This field can't be changed.")] for name in unknown})
    _check(organization, fields)
    for name, value in fields.items():
        setattr(agent, name, value)
    agent.save()
    return agent


def _snapshot(agent: Agent) -> dict[str, Any]:
    return {name: getattr(agent, name) for name in SNAPSHOT_FIELDS}


def agent_publish(
    *, organization: Organization, agent: Agent, user: User | None = None, note: str = ""
) -> AgentVersion:
    """Freeze the draft into a new immutable version and make channels serve it."""
    _check(organization, _snapshot(agent))
    for _attempt in range(3):
        number = (agent.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                version = AgentVersion.unscoped.create(  # tenant-bypass: organization set explicitly
                    organization=organization,
                    agent=agent,
                    number=number,
                    snapshot=_snapshot(agent),
                    credential_id_snapshot=str(agent.credential_id or ""),
                    created_by=user,
                    note=note,
                )
                Agent.unscoped.filter(pk=agent.pk).update(  # tenant-bypass: agent already scoped
                    published_version=version, status=Agent.Status.PUBLISHED
                )
            break
        except IntegrityError:
            continue  # a concurrent publish took this number
    else:
        raise Conflict(_("Another publish is in progress; try again."))
    agent.published_version = version
    agent.status = Agent.Status.PUBLISHED
    cache.delete(published_cache_key(agent.pk))
    return version


def agent_rollback(*, organization: Organization, agent: Agent, version_id: str) -> AgentVersion:
    """Serve an earlier version again and load it into the draft for further edits."""
    version = get_or_404(agent.versions.all(), version_id)
    for name, value in version.snapshot.items():
        setattr(agent, name, value)
    credential = (
        organization.providercredentials.filter(pk=version.credential_id_snapshot).first()
        if version.credential_id_snapshot
        else None
    )
    agent.credential = credential
    agent.published_version = version
    agent.status = Agent.Status.PUBLISHED
    agent.save()
    cache.delete(published_cache_key(agent.pk))
    return version


def agent_delete(*, organization: Organization, agent: Agent) -> None:
    cache.delete(published_cache_key(agent.pk))
    agent.delete()
