from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from agents.models import ProviderCredential
from agents.services.credentials import provider_credential_create
from myagent import crypto

pytestmark = pytest.mark.django_db


def test_rotating_keys_re_encrypts_stored_secrets(tenant, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    crypto.reset_cache()
    try:
        provider_credential_create(organization=tenant.organization, provider="openai", api_key="sk-rotate-me-1234")
        stored_before = connection.database["agents_providercredential"].find_one({})["api_key"]

        settings.FIELD_ENCRYPTION_KEYS = [new, old]
        crypto.reset_cache()
        call_command("rotate_secrets")
        stored_after = connection.database["agents_providercredential"].find_one({})["api_key"]
        assert stored_after != stored_before

        settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can now be dropped
        crypto.reset_cache()
        assert ProviderCredential.unscoped.get().api_key == "sk-rotate-me-1234"
    finally:
        crypto.reset_cache()
