"""Who belongs to an organization and with which role.

Invariants kept here: an organization always has at least one owner, admins cannot
touch owners, and only owners can make someone an owner.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, Role, User
from myagent.errors import Conflict, Forbidden, NotFound, ValidationFailed
from myagent.lookups import get_or_404, parse_object_id


def _is_last_owner(*, organization: Organization, membership: Membership) -> bool:
    return membership.role == Role.OWNER and organization.memberships.filter(role=Role.OWNER).count() <= 1


def membership_change_role(
    *, organization: Organization, actor: Membership, membership_id: Any, role: str
) -> Membership:
    """Give a member a new role.

    Owners can set any role; admins can move people between member and admin but cannot
    change an owner or create one. The last owner cannot be demoted: promote someone
    else first.
    """
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [_("Choose a valid role.")]})
    membership = get_or_404(organization.memberships.select_related("user"), membership_id)
    if not actor.has_role(Role.OWNER) and Role.OWNER in (membership.role, role):
        raise Forbidden(_("Only owners can change who is an owner."))
    if membership.role == role:
        return membership
    if _is_last_owner(organization=organization, membership=membership):
        raise Conflict(_("An organization needs at least one owner. Make someone else an owner first."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def membership_remove(*, organization: Organization, actor: Membership, membership_id: Any) -> Membership:
    """Take someone out of the organization; they keep their user account.

    Admins can remove members and admins, owners can remove anyone, and anybody can
    remove themselves, except the last owner, who would leave the organization orphaned.
    """
    membership = get_or_404(organization.memberships.select_related("user"), membership_id)
    removing_self = membership.pk == actor.pk
    if not removing_self and not actor.has_role(Role.ADMIN):
        raise Forbidden()
    if not removing_self and membership.role == Role.OWNER and not actor.has_role(Role.OWNER):
        raise Forbidden(_("Only owners can remove an owner."))
    if _is_last_owner(organization=organization, membership=membership):
        raise Conflict(
            _("The last owner cannot be removed. Make someone else an owner first, or delete the organization.")
        )
    membership.delete()
    return membership


def membership_for_user(*, user: User, organization_id: Any) -> Membership:
    """The user's membership in `organization_id`; any organization they don't belong to
    is a 404, so the answer never reveals whether it exists."""
    object_id = parse_object_id(organization_id)
    membership = (
        user.memberships.select_related("organization").filter(organization_id=object_id).first() if object_id else None
    )
    if membership is None:
        raise NotFound()
    return membership
