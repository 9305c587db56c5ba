from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiKey, Organization, User
from myagent.lookups import get_or_404

KEY_PREFIX = "mya_"
# last_used_at is informational; writing it on every request would turn each API read
# into a database write, so it is refreshed at most once a minute per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(
    *, organization: Organization, name: str, scope: str = ApiKey.Scope.READ, created_by: User | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw secret, which is never stored or shown again."""
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.unscoped.create(  # tenant-bypass: organization is set explicitly
        organization=organization, name=name, scope=scope, prefix=prefix, key_hash=_hash(raw), created_by=created_by
    )
    return api_key, raw


def api_key_authenticate(*, raw: str) -> ApiKey | None:
    """Resolve a presented key to an active key, or None. Constant-time on the secret."""
    if not raw.startswith(KEY_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0]
    api_key = (
        ApiKey.unscoped.select_related(  # tenant-bypass: authentication is what establishes the tenant
            "organization"
        )
        .filter(prefix=prefix)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(raw)) or not api_key.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.unscoped.filter(pk=api_key.pk).update(last_used_at=now)  # tenant-bypass: pk from the key itself
        api_key.last_used_at = now
    return api_key


def api_key_revoke(*, organization: Organization, key_id: str) -> ApiKey:
    api_key = get_or_404(organization.apikeys.all(), key_id)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
