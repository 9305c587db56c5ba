"""Shared fixtures. Tests run against a real SecantusDB server (started by the test
settings), real Redis when REDIS_URL is set, and local fake vendor servers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey, Membership, Organization, Role, User
from accounts.services.api_keys import api_key_create
from tests.accounts.factories import MembershipFactory, OrganizationFactory, UserFactory


@dataclass
class Tenant:
    organization: Organization
    owner: User
    membership: Membership
    api_key: ApiKey
    raw_key: str
    client: APIClient  # authenticated with a write-scope key


def make_tenant(name: str = "Tenant") -> Tenant:
    organization = OrganizationFactory(name=name)
    membership = MembershipFactory(organization=organization, role=Role.OWNER)
    api_key, raw = api_key_create(organization=organization, name="tests", scope=ApiKey.Scope.WRITE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return Tenant(organization, membership.user, membership, api_key, raw, client)


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("Tenant A")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant("Tenant B")


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture(scope="session")
def fake_openai_server():
    from tests.fakes import FakeOpenAI

    server = FakeOpenAI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(fake_openai_server):
    fake_openai_server.reset()
    fake_openai_server.latency = 0.0
    fake_openai_server.token_delay = 0.0
    return fake_openai_server


pytest_plugins = ["tests.live"]
