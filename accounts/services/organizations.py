from __future__ import annotations

from django.db import IntegrityError
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django_mongodb_backend import transaction

from accounts.models import Membership, Organization, Role, User
from myagent.errors import Forbidden, ValidationFailed


def _unique_slug(name: str) -> str:
    base = slugify(name)[:48] or "org"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(5, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
    return slug


def organization_create(*, name: str, owner: User) -> Organization:
    """Create an organization with `owner` as its first member (role owner)."""
    name = name.strip()
    if not name:
        raise ValidationFailed(fields={"name": ["This field is required."]})
    for _attempt in range(3):
        try:
            with transaction.atomic():
                organization = Organization.objects.create(name=name, slug=_unique_slug(name))
                Membership.unscoped.create(  # tenant-bypass: creating the tenant itself
                    organization=organization, user=owner, role=Role.OWNER
                )
            return organization
        except IntegrityError:
            continue  # slug race with a concurrent signup: pick another
    raise ValidationFailed("Could not create the organization, try again.")


def organization_set_suspended(*, organization: Organization, suspended: bool, reason: str = "") -> Organization:
    organization.is_suspended = suspended
    organization.suspended_reason = reason if suspended else ""
    organization.save(update_fields=["is_suspended", "suspended_reason"])
    return organization


def organization_delete(*, organization: Organization, actor_membership: Membership) -> None:
    if not actor_membership.has_role(Role.OWNER):
        raise Forbidden()
    organization.delete()


def memberships_for_user(user: User) -> list[Membership]:
    return list(user.memberships.select_related("organization").order_by("created_at"))
