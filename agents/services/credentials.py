from __future__ import annotations

from django.db import IntegrityError

from accounts.models import Organization
from agents.models import Provider, ProviderCredential
from myagent.errors import Conflict, ValidationFailed
from myagent.lookups import get_or_404


def provider_credential_create(
    *, organization: Organization, provider: str, api_key: str, name: str = "default", base_url: str = ""
) -> ProviderCredential:
    """Store a provider key, encrypted at rest. The key is never returned by the API."""
    if provider == Provider.OPENAI_COMPATIBLE and not base_url:
        raise ValidationFailed(fields={"base_url": ["An OpenAI-compatible endpoint needs its base URL."]})
    try:
        return ProviderCredential.unscoped.create(  # tenant-bypass: organization set explicitly
            organization=organization, provider=provider, api_key=api_key.strip(), name=name, base_url=base_url
        )
    except IntegrityError as exc:
        raise Conflict(f"A {provider} credential named {name!r} already exists.") from exc


def provider_credential_delete(*, organization: Organization, credential_id: str) -> None:
    get_or_404(organization.providercredentials.all(), credential_id).delete()
