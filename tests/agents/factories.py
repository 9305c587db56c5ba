from __future__ import annotations

from typing import Any

from accounts.models import Organization
from agents.models import Agent, Provider, ProviderCredential
from agents.services.agents import agent_create, agent_publish
from agents.services.credentials import provider_credential_create


def fake_llm_credential(organization: Organization, base_url: str) -> ProviderCredential:
    return provider_credential_create(
        organization=organization, provider=Provider.OPENAI_COMPATIBLE, api_key="sk-test-123456", base_url=base_url
    )


def published_agent(organization: Organization, *, publish: bool = True, **fields: Any) -> Agent:
    fields.setdefault("name", "Recepción")
    fields.setdefault("instructions", "You are the receptionist of Café Sol. Opening hours 8-20.")
    agent = agent_create(organization=organization, **fields)
    if publish:
        agent_publish(organization=organization, agent=agent)
    return agent


def fake_llm_agent(organization: Organization, base_url: str, *, publish: bool = True, **fields: Any) -> Agent:
    fake_llm_credential(organization, base_url)
    fields.setdefault("model", "openai_compatible/gpt-fake")
    return published_agent(organization, publish=publish, **fields)
