"""Tenant isolation matrix: every API route that takes an object id, called with tenant
A's key and tenant B's object id, answers 404 and changes nothing.

Routes are discovered from the URLconf, so a new route without an entry in OBJECTS
fails `test_every_id_route_is_covered` until someone adds it here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import ApiKey
from accounts.services.api_keys import api_key_create
from agents.models import Channel
from agents.services.conversations import contact_get_or_create, conversation_open, message_receive
from tests.agents.factories import published_agent

pytestmark = pytest.mark.django_db


def _agent(tenant):
    return published_agent(tenant.organization, name="Secret agent")


def _api_key(tenant):
    return api_key_create(organization=tenant.organization, name="victim", scope=ApiKey.Scope.WRITE)[0]


def _credential(tenant):
    from agents.services.credentials import provider_credential_create

    return provider_credential_create(organization=tenant.organization, provider="openai", api_key="sk-victim-000000")


def _conversation(tenant):
    agent = _agent(tenant)
    contact = contact_get_or_create(organization=tenant.organization, channel=Channel.API, external_id="victim")
    conversation = conversation_open(
        organization=tenant.organization, agent=agent, channel=Channel.API, contact=contact
    )
    message_receive(organization=tenant.organization, conversation=conversation, text="private")
    return conversation


# URL name (in the `api` namespace) prefix → builds an object owned by the given tenant.
OBJECTS: dict[str, Callable[[Any], Any]] = {
    "api-key": _api_key,
    "agent": _agent,
    "provider-credential": _credential,
    "conversation": _conversation,
}
try:  # channel routes register their objects next to their own tests
    from tests.channels_app.isolation import OBJECTS as CHANNEL_OBJECTS

    OBJECTS.update(CHANNEL_OBJECTS)
except ImportError:
    pass

METHOD_BODIES: dict[str, dict[str, Any]] = {
    "patch": {"name": "hijacked"},
    "put": {"name": "hijacked", "instructions": "x"},
    "post": {"message": "hi", "version": "000000000000000000000000", "note": "x"},
}


def _id_routes() -> list[tuple[str, str]]:
    """(url name, route) for every `api:` route with a `pk` parameter."""
    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace == "api" and "pk" in pattern.pattern.regex.groupindex:
                found.append((pattern.name or "", prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


def _factory_for(name: str) -> Callable[[Any], Any] | None:
    matches = [prefix for prefix in OBJECTS if name.startswith(prefix + "-")]
    return OBJECTS[max(matches, key=len)] if matches else None


ROUTES = _id_routes()


def test_every_id_route_is_covered():
    uncovered = [name for name, _ in ROUTES if _factory_for(name) is None]
    assert not uncovered, f"add these routes to the isolation matrix: {uncovered}"
    assert len(ROUTES) >= 8


def _snapshot(obj: Any) -> dict[str, Any]:
    obj.refresh_from_db()
    return model_to_dict(obj)


@pytest.mark.parametrize(("name", "route"), ROUTES, ids=[name for name, _ in ROUTES])
def test_other_tenants_ids_are_404_and_nothing_changes(name, route, tenant, other_tenant):
    factory = _factory_for(name)
    victim = factory(other_tenant)
    before = _snapshot(victim)
    path = reverse(f"api:{name}", kwargs={"pk": str(victim.pk)})
    for method in ("get", "patch", "put", "post", "delete"):
        response = getattr(tenant.client, method)(path, METHOD_BODIES.get(method, {}), format="json")
        assert response.status_code in (404, 405), f"{method.upper()} {path} → {response.status_code}"
        if response.status_code == 404:
            assert response.json()["error"]["code"] == "not_found"
    assert _snapshot(victim) == before
