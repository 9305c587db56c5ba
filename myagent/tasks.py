"""Celery base task that enters the tenant scope (one of the three scope entry points)."""

from __future__ import annotations

from typing import Any

from celery import Task

from accounts.models import Organization
from accounts.tenancy import tenant_scope


class TenantTask(Task):
    """Tasks declare `organization_id` as their first keyword argument; the task body runs
    inside that organization's scope and receives the Organization as `organization`.
    A task for a deleted organization is dropped (nothing left to do)."""

    abstract = True
    # Callers pass `organization_id`; the task body takes `organization`, so Celery must
    # not check call arguments against the function's signature.
    typing = False

    def __call__(self, *args: Any, organization_id: str, **kwargs: Any) -> Any:
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            return None
        with tenant_scope(organization):
            return self.run(*args, organization=organization, **kwargs)
