"""Fail-closed tenant scoping.

Every tenant-owned model inherits `TenantModel`. Its `objects` manager refuses to run a
query unless an organization scope is active, and then filters by it; `unscoped` is a
plain manager for the admin and Django internals (related managers, deletion), and
every use of it in our code carries a `# tenant-bypass: <reason>` comment.

The scope is entered in exactly three places: the API/page base views, the Channels
auth middleware and the Celery `TenantTask`. Because the scope lives in a ContextVar it
follows `sync_to_async`/`database_sync_to_async` hops and never leaks between requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from accounts.models import Organization

_current_organization: ContextVar[Organization | None] = ContextVar("current_organization", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried with no organization scope active."""


def current_organization() -> Organization | None:
    return _current_organization.get()


@contextmanager
def tenant_scope(organization: Organization) -> Iterator[Organization]:
    token = _current_organization.set(organization)
    try:
        yield organization
    finally:
        _current_organization.reset(token)


class TenantManager(models.Manager):
    def get_queryset(self) -> models.QuerySet[Any]:
        organization = _current_organization.get()
        if organization is None:
            raise TenantScopeError(
                f"{self.model.__name__}.objects used outside an organization scope; "
                "query from the organization (organization.<related>) or enter tenant_scope()."
            )
        return super().get_queryset().filter(organization=organization)


class TenantModel(models.Model):
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="%(class)ss", db_index=True
    )

    organization_id: Any  # django-stubs can't derive FK ids on ObjectId primary keys

    unscoped = models.Manager()
    objects = TenantManager()

    class Meta:
        abstract = True
        default_manager_name = "unscoped"
